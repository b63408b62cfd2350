/**
 * The schedule store on Redis (ADR 0037): each schedule's head (a hash holding its version,
 * last hash, status and folded state) and its history (a stream of envelopes, never trimmed),
 * written only by schedule-append.lua; an index set of the names not removed.
 */
import {
  foldSchedule,
  type ScheduleEnvelope,
  type ScheduleHead,
  type ScheduleState,
  scheduleEventOf,
  decodeScheduleEnvelope,
} from "../../domain/index.ts";
import type { ScheduleAppendOutcome, ScheduleStore, StoredSchedule } from "../../engine/schedule/ports.ts";
import { type RedisClient, guarded } from "./connection.ts";
import type { Keys } from "./keys.ts";
import { withScripts } from "./scripts.ts";
import * as Result from "effect/Result";

type HeadFields = [string | null, string | null, string | null, string | null];

export class RedisScheduleStore implements ScheduleStore {
  private readonly client;

  constructor(
    client: RedisClient,
    private readonly keys: Keys,
  ) {
    this.client = withScripts(client);
  }

  private async stored(name: string, fields: HeadFields): Promise<StoredSchedule | null> {
    const [version, lastHash, , stateJson] = fields;
    if (version === null || lastHash === null) return null;
    const head: ScheduleHead = { schedule: name, version: Number(version), lastHash };
    try {
      if (stateJson !== null) return { head, state: JSON.parse(stateJson) as ScheduleState };
    } catch {
      // A head whose state cannot be read: fold the history instead (it is the truth).
    }
    const events = (await this.history(name)).flatMap((entry) => {
      const decoded = decodeScheduleEnvelope(entry);
      return Result.isSuccess(decoded) ? [scheduleEventOf(decoded.success)] : [];
    });
    return { head, state: foldSchedule(events).state };
  }

  async load(name: string): Promise<StoredSchedule | null> {
    const fields = await guarded(() =>
      this.client.hmget(this.keys.scheduleHead(name), "version", "lastHash", "status", "state"),
    );
    return this.stored(name, fields as HeadFields);
  }

  count(): Promise<number> {
    return guarded(() => this.client.scard(this.keys.scheduleIndex()));
  }

  async list(): Promise<ReadonlyArray<StoredSchedule>> {
    const names = await guarded(() => this.client.smembers(this.keys.scheduleIndex()));
    if (names.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const name of names)
      pipeline.hmget(this.keys.scheduleHead(name), "version", "lastHash", "status", "state");
    const replies = (await guarded(() => pipeline.exec())) ?? [];
    const out: Array<StoredSchedule> = [];
    for (const [i, name] of names.entries()) {
      const [error, fields] = replies[i] ?? [null, null];
      if (error !== null || fields === null) continue;
      const stored = await this.stored(name, fields as HeadFields);
      if (stored !== null) out.push(stored);
    }
    return out;
  }

  async history(name: string): Promise<ReadonlyArray<unknown>> {
    const entries = await guarded(() => this.client.xrange(this.keys.scheduleEvents(name), "-", "+"));
    return entries.map(([, fields]) => {
      const env = fields[fields.indexOf("env") + 1];
      try {
        return JSON.parse(env ?? "null") as unknown;
      } catch {
        return env;
      }
    });
  }

  async append(
    expected: ScheduleHead,
    envelopes: ReadonlyArray<ScheduleEnvelope>,
    state: ScheduleState,
  ): Promise<ScheduleAppendOutcome> {
    const last = envelopes.at(-1);
    if (last === undefined) return { ok: true };
    const name = expected.schedule;
    const args: Array<string | number> = [
      name,
      expected.version,
      expected.lastHash,
      last.seq,
      last.hash,
      state.status,
      JSON.stringify(state),
      envelopes.length,
    ];
    for (const envelope of envelopes) args.push(envelope.type, JSON.stringify(envelope));
    const reply = (await guarded(() =>
      this.client.docketScheduleAppend(
        3,
        this.keys.scheduleHead(name),
        this.keys.scheduleEvents(name),
        this.keys.scheduleIndex(),
        args,
      ),
    )) as [number, string | number];
    return reply[0] === 1 ? { ok: true } : { ok: false, currentVersion: Number(reply[1]) };
  }
}
