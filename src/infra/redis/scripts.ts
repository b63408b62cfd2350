/**
 * Loads the Lua scripts (one file per state change, each with its own header) into a client
 * with `defineCommand`, once per connection; ioredis then calls them by SHA and reloads them
 * after a Redis restart. The typed signatures below are the only way the rest of infra calls them.
 */
import type { RedisClient } from "./connection.ts";
import { readFileSync } from "node:fs";

const lua = (name: string): string => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), "utf8");

const SCRIPTS = {
  docketAppend: lua("append"),
  docketClaim: lua("claim"),
  docketRenew: lua("renew"),
  docketDiscard: lua("discard"),
  docketRelease: lua("release"),
  docketHistory: lua("history"),
  docketArchiverAcquire: lua("archiver-acquire"),
  docketArchiverRenew: lua("archiver-renew"),
  docketArchiverNote: lua("archiver-note"),
  docketTrim: lua("trim"),
  docketEvict: lua("evict"),
  docketForget: lua("forget"),
  docketScheduleAppend: lua("schedule-append"),
  docketWebhookEnqueue: lua("webhook-enqueue"),
  docketWebhookClaim: lua("webhook-claim"),
  docketWebhookRecord: lua("webhook-record"),
  docketWebhookRetry: lua("webhook-retry"),
  docketWebhookSubscribe: lua("webhook-subscribe"),
};

/**
 * Keys and arguments may also be passed as one array: ioredis flattens a command's arguments,
 * and a call with a thousand spread arguments costs more than one array.
 */
type Argument = string | number | ReadonlyArray<string | number>;
type ScriptCall = (numKeys: number, ...keysAndArgs: Array<Argument>) => Promise<unknown>;

export interface ScriptClient {
  docketAppend: ScriptCall;
  docketClaim: ScriptCall;
  docketRenew: ScriptCall;
  docketDiscard: ScriptCall;
  docketRelease: ScriptCall;
  docketHistory: ScriptCall;
  docketArchiverAcquire: ScriptCall;
  docketArchiverRenew: ScriptCall;
  docketArchiverNote: ScriptCall;
  docketTrim: ScriptCall;
  docketEvict: ScriptCall;
  docketForget: ScriptCall;
  docketScheduleAppend: ScriptCall;
  docketWebhookEnqueue: ScriptCall;
  docketWebhookClaim: ScriptCall;
  docketWebhookRecord: ScriptCall;
  docketWebhookRetry: ScriptCall;
  docketWebhookSubscribe: ScriptCall;
}

/** A pipeline of script calls, as `client.pipeline()` offers them once the scripts are defined. */
export interface ScriptPipeline {
  docketAppend(numKeys: number, ...keysAndArgs: Array<Argument>): ScriptPipeline;
  docketHistory(numKeys: number, ...keysAndArgs: Array<Argument>): ScriptPipeline;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

const loaded = new WeakSet<RedisClient>();

export const withScripts = (client: RedisClient): RedisClient & ScriptClient => {
  if (!loaded.has(client)) {
    for (const [name, source] of Object.entries(SCRIPTS)) client.defineCommand(name, { lua: source });
    loaded.add(client);
  }
  return client as RedisClient & ScriptClient;
};
