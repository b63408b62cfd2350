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
