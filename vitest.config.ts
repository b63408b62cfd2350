import { defineConfig } from "vitest/config";

// Test tiers are selected by file name (see README "Tests"): unit tests are pure and fast,
// integration tests talk to a real redis-server and a real SQLite file, property tests fuzz.
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: "unit", include: ["test/**/*.unit.test.ts"] },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.int.test.ts", "test/**/*.e2e.test.ts"],
          // Every answer the API gives a test is checked against the contract (ADR 0026).
          setupFiles: ["test/support/contract-setup.ts"],
          // The dashboard's files, built once for the tests that serve it (test/support/ui-build.ts).
          globalSetup: ["test/support/ui-build.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The integration suite and the model-based fuzz suite again, on a real local Redis
        // Cluster (3 masters + 3 replicas) instead of one server (ADR 0047). Left out: the
        // cluster's own tests (already on one), the browser and packaging tests (nothing in
        // them depends on where Redis runs), and the single-server fault tests.
        test: {
          name: "cluster",
          include: [
            "test/**/*.int.test.ts",
            "test/**/*.e2e.test.ts",
            "property-tests/model-based.prop.test.ts",
            // Checks that this project really runs on a cluster.
            "test/**/*.cluster.test.ts",
          ],
          // Also the single-server fault tests, which always start a server of their own.
          exclude: [
            "test/cluster*.test.ts",
            "test/ui-*.test.ts",
            "test/package.e2e.test.ts",
            "test/redis-outage.int.test.ts",
            "test/schedules-processes.e2e.test.ts",
          ],
          setupFiles: ["test/support/cluster-env.ts", "test/support/contract-setup.ts"],
          globalSetup: ["test/support/cluster-global.ts", "test/support/ui-build.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "property",
          include: ["property-tests/**/*.prop.test.ts"],
          setupFiles: ["property-tests/setup.ts", "test/support/contract-setup.ts"],
          globalSetup: ["test/support/ui-build.ts"],
          testTimeout: 300_000,
        },
      },
    ],
  },
});
