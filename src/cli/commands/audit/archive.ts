/**
 * The auditor's archive commands (ADR 0029), all offline — no API, no Redis:
 * `docket audit key` prints the archive's public key; `docket audit verify --archive <dir>`
 * verifies an archive directory (wired from `audit verify`); `docket audit prove <jobId>` shows
 * one job's events are in signed segments, with their inclusion proofs.
 */
import { readdirSync, realpathSync, type Stats, statSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import {
  type Command,
  type CommandContext,
  requirePositional,
  stringOption,
  UsageError,
} from "../../command.ts";
import { readEnv } from "../../env.ts";
import { renderArchiveReport, renderInclusionProof, renderLogComparison } from "../../render/archive.ts";

const KEY_DETAILS = `--key: a public key (PEM) to check against, repeated for each key used across a rotation; without
it, the public part of the archiver's own key (DOCKET_SIGNING_KEY, or DOCKET_DATA_DIR/archive-signing-key.pem).
An auditor passes the keys they were given (docket audit key).`;

/** The public keys (PEM) to verify with: each --key's file, else the local signing key's public part. */
const publicKeyPems = async (context: CommandContext): Promise<ReadonlyArray<string>> => {
  const given = context.values.key;
  const files =
    typeof given === "string" ? [given] : Array.isArray(given) ? (given as ReadonlyArray<string>) : [];
  if (files.length > 0) {
    const { readKeyFile } = await import("../../../main.ts");
    return files.map((file) => {
      try {
        return readKeyFile(file);
      } catch (error) {
        throw new UsageError(`--key: cannot read ${file}: ${(error as Error).message}`);
      }
    });
  }
  const env = await readEnv();
  const { archivePublicKeyPem } = await import("../../../main.ts");
  return [
    archivePublicKeyPem({
      dataDir: env.archive.dataDir,
      ...(env.archive.signingKeyPath === undefined ? {} : { signingKeyPath: env.archive.signingKeyPath }),
    }),
  ];
};

/** A directory the option names, or a usage error (exit 2) saying what is there instead. */
const requireDirectory = (option: string, dir: string): void => {
  let stats: Stats;
  try {
    stats = statSync(dir);
  } catch (error) {
    throw new UsageError(`${option}: cannot open ${dir}: ${(error as Error).message}`);
  }
  if (!stats.isDirectory()) throw new UsageError(`${option}: ${dir} is not a directory`);
};

/**
 * A directory that holds deployments' archives rather than being one (DOCKET_ARCHIVE_DIR itself,
 * the easy mistake): the prefixes under it whose directories hold shards, or none.
 */
const archivesUnder = (dir: string): ReadonlyArray<string> => {
  const names = (path: string): ReadonlyArray<string> => {
    try {
      return readdirSync(path);
    } catch {
      return [];
    }
  };
  if (names(dir).some((name) => name.startsWith("shard-"))) return [];
  return names(dir).filter((name) => names(join(dir, name)).some((entry) => entry.startsWith("shard-")));
};

/** A path with its symbolic links resolved, as far as it exists (a witness directory may not yet). */
const realPathOf = (path: string): string => {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(resolve(path));
    return parent === resolve(path) ? parent : join(realPathOf(parent), basename(path));
  }
};

/**
 * The witness directory must be outside the archive: kept inside, its files would be strays in
 * the archive (every later verification fails), and whoever can cut the archive could cut the
 * witness with it.
 */
const requireOutside = (witness: string, archive: string): void => {
  const [w, a] = [realPathOf(witness), realPathOf(archive)];
  if (w === a || w.startsWith(a.endsWith(sep) ? a : a + sep))
    throw new UsageError(
      `--witness: ${witness} is inside the archive ${archive}; keep the witness where the archive's writers cannot reach it`,
    );
};

/** `audit verify --archive <dir> [--key <public.pem> …] [--witness <dir>] [--compare-redis]`. */
export const verifyArchiveFromCli = async (context: CommandContext, dir: string): Promise<number> => {
  for (const flag of ["job", "drained", "offline-projection", "direct", "file"])
    if (context.values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to --archive`);
  requireDirectory("--archive", dir);
  const inside = archivesUnder(dir);
  if (inside.length > 0)
    throw new UsageError(
      `--archive: ${dir} holds the archives of ${inside.length === 1 ? "a deployment" : "deployments"} (DOCKET_ARCHIVE_DIR); verify ${inside.map((name) => join(dir, name)).join(" or ")}`,
    );
  const { compareArchiveWithRedis, verifyArchiveDir, WitnessUnusable } = await import("../../../main.ts");
  const witnessDir = stringOption(context, "witness");
  if (witnessDir !== undefined) requireOutside(witnessDir, dir);
  const report = await verifyArchiveDir(
    dir,
    await publicKeyPems(context),
    witnessDir === undefined ? {} : { witnessDir },
  ).catch((error: unknown) => {
    // The auditor's own record cannot be used: not a finding about the archive, a usage error.
    throw error instanceof WitnessUnusable ? new UsageError(`--witness: ${error.message}`) : error;
  });
  if (context.values["compare-redis"] !== true) {
    context.print(report, renderArchiveReport);
    return report.ok ? 0 : 1;
  }
  const env = await readEnv();
  const redis = await compareArchiveWithRedis(env, dir);
  context.print(
    { ...report, redis },
    () => `${renderArchiveReport(report)}\n\n${renderLogComparison(redis)}`,
  );
  return report.ok && redis.ok ? 0 : 1;
};

/** The options `audit verify` takes for an archive (merged into its own). */
export const ARCHIVE_VERIFY_OPTIONS = {
  archive: {
    type: "string",
    description:
      "verify a deployment's archive directory (DOCKET_ARCHIVE_DIR/<prefix>) offline: signatures, roots, checkpoint chain, hash chains",
  },
  "compare-redis": {
    type: "boolean",
    description:
      "with --archive: also compare every sealed entry with the shard logs in Redis (REDIS_URL, DOCKET_PREFIX)",
  },
  key: {
    type: "string",
    multiple: true,
    description:
      "with --archive: a public key (PEM) to check signatures with; repeat it across a key rotation",
  },
  witness: {
    type: "string",
    description:
      "with --archive: a directory of the checkpoints kept by the last verification; each must still be in the archive (nothing cut off), and the newest are kept there when it verifies",
  },
} as const;

export const key: Command = {
  name: "audit key",
  summary: "Print the archive's public key (PEM), for auditors to verify archives offline.",
  details: `Reads DOCKET_SIGNING_KEY or DOCKET_DATA_DIR/archive-signing-key.pem (the archiver makes it on first
start) and prints only its public part. --json: {"publicKey": "<PEM>"}.`,
  run: async (context) => {
    const env = await readEnv();
    const { archivePublicKeyPem } = await import("../../../main.ts");
    const pem = archivePublicKeyPem({
      dataDir: env.archive.dataDir,
      ...(env.archive.signingKeyPath === undefined ? {} : { signingKeyPath: env.archive.signingKeyPath }),
    });
    context.print({ publicKey: pem }, (value: { publicKey: string }) => value.publicKey.trimEnd());
    return 0;
  },
};

export const prove: Command = {
  name: "audit prove",
  summary: "Show that a job's events are in signed archive segments (inclusion proofs), offline.",
  args: "<jobId>",
  options: {
    archive: {
      type: "string",
      description: "the deployment's archive directory (default DOCKET_ARCHIVE_DIR/DOCKET_PREFIX)",
    },
    key: ARCHIVE_VERIFY_OPTIONS.key,
  },
  details: `For each of the job's events in the archive: its segment, its leaf index, the RFC 6962 audit path
to the segment's root, and the signed checkpoint (--json). Exit 1 unless every event is included in
a segment whose checkpoint is signed by the key and the job's seqs run from 1 without a gap.
${KEY_DETAILS}`,
  run: async (context) => {
    const jobId = requirePositional(context, 0, "<jobId>");
    const { archiveDirOf, proveJobInArchive } = await import("../../../main.ts");
    const env = await readEnv();
    const dir = stringOption(context, "archive") ?? archiveDirOf(env.archive.dir, env.prefix);
    requireDirectory("--archive", dir);
    const proof = await proveJobInArchive(dir, jobId, await publicKeyPems(context));
    context.print(proof, renderInclusionProof);
    return proof.ok ? 0 : 1;
  },
};
