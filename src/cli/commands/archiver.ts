/**
 * `docket archiver`: a standalone archiver (ADR 0028). One is active at a time per deployment
 * (the Redis lease); others wait on standby. `docket api` runs one too unless DOCKET_ARCHIVER=off.
 */
import type { ArchiverSettings } from "../../main.ts";
import type { Command } from "../command.ts";
import type { DocketEnv } from "../config.ts";
import { readEnv } from "../env.ts";
import { type Log, openCommandLog, repeatLimited } from "../log.ts";
import { SHUTDOWN_MARGIN_MS, shutdownOnSignals, stopWithin } from "../signals.ts";

/**
 * Test hook for the crash tests, not configuration: `DOCKET_TEST_ARCHIVER_HALT_AT=<step>[:<n>]`
 * makes the n-th commit (default the first) stop at that step — it says "halted at <step>" on
 * stderr and waits there for ever — so the test can SIGKILL the process at exactly that point.
 */
const haltHook = (): ArchiverSettings["onCommitStep"] => {
  const spec = process.env.DOCKET_TEST_ARCHIVER_HALT_AT;
  if (spec === undefined || spec === "") return undefined;
  const [step, nth] = spec.split(":");
  let seen = 0;
  return async (reached) => {
    if (reached !== step) return;
    seen += 1;
    if (seen !== Number(nth ?? 1)) return;
    process.stderr.write(`halted at ${reached}\n`);
    await new Promise(() => {});
  };
};

/** The archiver's settings from the environment (shared with `docket api`). */
export const archiverSettings = (env: DocketEnv, log: Log): ArchiverSettings => {
  const onCommitStep = haltHook();
  return {
    archiveDir: env.archive.dir,
    dataDir: env.archive.dataDir,
    segmentEntries: env.archive.segmentEntries,
    maxAgeMs: env.archive.maxAgeMs,
    leaseMs: env.archive.leaseMs,
    retention: env.archive.retention,
    ...(env.archive.signingKeyPath === undefined ? {} : { signingKeyPath: env.archive.signingKeyPath }),
    ...(env.archive.trustedKeyPaths.length === 0 ? {} : { trustedKeyPaths: env.archive.trustedKeyPaths }),
    onError: repeatLimited(log.child("archiver")),
    onKey: logSigningKey(log.child("archiver")),
    ...(onCommitStep === undefined ? {} : { onCommitStep }),
  };
};

type KeyFacts = { readonly path: string; readonly generated: boolean; readonly mode: number };

/**
 * What to say about the signing key: where a key the archiver made is (to back up with the
 * archive), and a warning for a key file other users may read (whoever reads it can sign
 * checkpoints the auditors would accept). Not refused (secret mounts often come 0644), as ssh
 * would, but said at every start.
 */
const keyNotices = (key: KeyFacts): Array<{ readonly level: "info" | "warn"; readonly message: string }> => [
  ...(key.generated
    ? [
        {
          level: "info" as const,
          message: `made the archive's signing key ${key.path} (mode 0600): back it up with the archive (docs/archive.md); auditors get its public key from docket audit key`,
        },
      ]
    : []),
  ...((key.mode & 0o077) !== 0
    ? [
        {
          level: "warn" as const,
          message: `the signing key ${key.path} can be read by other users (mode 0${key.mode.toString(8)}): whoever reads it can sign checkpoints; chmod 600 it`,
        },
      ]
    : []),
];

const logSigningKey =
  (log: Log) =>
  (key: KeyFacts): void => {
    for (const { level, message } of keyNotices(key)) log[level](message, { path: key.path });
  };

/** For `--once`, whose stdout is its result: the same notices, on stderr. */
const keyNoticesOnStderr = (key: KeyFacts): void => {
  for (const { message } of keyNotices(key)) process.stderr.write(`docket archiver: ${message}\n`);
};

export const ARCHIVE_ENV = `Environment: REDIS_URL, DOCKET_PREFIX, DOCKET_SHARDS; DOCKET_ARCHIVE_DIR (DOCKET_DATA_DIR/archive),
DOCKET_ARCHIVE_SEGMENT_ENTRIES (10000 entries per sealed segment), DOCKET_ARCHIVE_MAX_AGE_MS (60000: a
shard's unarchived entries are sealed once the oldest is this old), DOCKET_SIGNING_KEY (an Ed25519
PKCS#8 PEM; unset: DOCKET_DATA_DIR/archive-signing-key.pem, made with mode 0600 on first start),
DOCKET_ARCHIVE_LEASE_MS (15000: how long a vanished archiver's lease keeps a successor waiting);
DOCKET_RETAIN_COMPLETED (24h), DOCKET_RETAIN_DEAD (7d), DOCKET_RETAIN_CANCELLED (24h): how long a
finished job stays in Redis after it ends; its history stays in the archive.
DOCKET_RETAIN_IDEMPOTENCY_KEYS (24h): how long its idempotency key still answers after that.`;

export const archiverCommand: Command = {
  name: "archiver",
  summary: "Run the archiver: seal the shard logs into signed segments in DOCKET_ARCHIVE_DIR.",
  options: {
    once: { type: "boolean", description: "seal what is due now, then exit (1 if archiving is paused)" },
  },
  details: `${ARCHIVE_ENV}
One archiver is active per deployment (a lease in Redis with a fencing token); a second one waits
on standby and takes over when the first stops or its lease lapses. Once a segment is committed
(fsynced), the shard's log in Redis is trimmed up to it, and finished jobs past their retention are
recorded as evicted (JobEvicted) and leave Redis once that is archived too.
When the archive refuses writes (full, read-only) archiving pauses, says why, and resumes by
itself. --json: log JSON lines on stdout (pino's format).`,
  run: async (context) => {
    const env = await readEnv();
    const log = await openCommandLog(context, env, "archiver");
    const shutdown = shutdownOnSignals();
    const { waitForRedis } = await import("../redis-wait.ts");
    if ((await waitForRedis(env.redisUrl, log, shutdown.signal)) === "stopped") return 0;
    const { openArchiver } = await import("../../main.ts");
    const once = context.values.once === true;
    const opened = openArchiver(
      { redisUrl: env.redisUrl, prefix: env.prefix, shards: env.shards },
      { ...archiverSettings(env, log), ...(once ? { onKey: keyNoticesOnStderr } : {}) },
    );
    const { archiver } = opened;
    await opened.ready().catch(() => undefined);
    if (once) {
      let sealed: number;
      let status: ReturnType<typeof archiver.status>;
      try {
        sealed = await archiver.runOnce();
        status = archiver.status(); // before close(), which ends the term ("stopped")
      } finally {
        await opened.close();
      }
      context.print({ ...status, sealedNow: sealed }, () =>
        status.paused === null
          ? `sealed ${sealed} segment(s) (${status.state})`
          : `archiving is paused (${status.paused.code}): ${status.paused.message}`,
      );
      return status.paused === null ? 0 : 1;
    }
    const { archiveDirOf } = await import("../../main.ts");
    log.info(
      `archiving to ${archiveDirOf(env.archive.dir, env.prefix)} (${env.archive.segmentEntries} entries per segment)`,
    );
    archiver.start();
    let said = "";
    const watch = setInterval(() => {
      const s = archiver.status();
      const now = s.paused === null ? s.state : `paused: ${s.paused.message}`;
      if (now !== said) log.info(now === "active" ? `active (fencing token ${s.fence})` : now);
      said = now;
    }, 1_000);
    const signal = await shutdown.requested;
    clearInterval(watch);
    log.info(`${signal}, stopping`);
    await stopWithin(
      SHUTDOWN_MARGIN_MS,
      () => opened.close(),
      () => log.error(`could not stop within ${SHUTDOWN_MARGIN_MS} ms; exiting`),
    );
    log.info("stopped");
    return 0;
  },
};
