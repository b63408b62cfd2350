/**
 * The one write path of schedules (ADR 0037): fold the event onto the schedule's state (the
 * machine says whether it may follow), seal it onto the chain, check the envelope with the
 * readers' own decoder (ADR 0018: nothing written that a reader refuses), and append it with
 * the expected version. The service and the scheduler both write through it.
 */
import * as Result from "effect/Result";
import {
  decodeScheduleEnvelope,
  foldSchedule,
  type ScheduleEvent,
  type ScheduleHead,
  sealSchedule,
  type ScheduleState,
} from "../../domain/index.ts";
import { InvalidSchedule } from "./errors.ts";
import type { ScheduleStore, StoredSchedule } from "./ports.ts";

export type WriteOutcome =
  | { readonly _tag: "Written"; readonly stored: StoredSchedule }
  /** The machine refuses the event in the schedule's state. */
  | { readonly _tag: "Refused"; readonly state: ScheduleState }
  /** Another writer moved the head first: reload and decide again. */
  | { readonly _tag: "Conflict" };

export const writeScheduleEvent = async (
  store: ScheduleStore,
  head: ScheduleHead,
  state: ScheduleState,
  event: ScheduleEvent,
): Promise<WriteOutcome> => {
  const folded = foldSchedule([event], state);
  if ("refused" in folded) return { _tag: "Refused", state: folded.state };
  const sealed = sealSchedule(head, [event]);
  for (const envelope of sealed.envelopes) {
    const checked = decodeScheduleEnvelope(envelope);
    if (Result.isFailure(checked))
      throw new InvalidSchedule({ code: "invalid_schedule", field: "(event)", message: checked.failure });
  }
  const outcome = await store.append(head, sealed.envelopes, folded.state);
  return outcome.ok
    ? { _tag: "Written", stored: { head: sealed.head, state: folded.state } }
    : { _tag: "Conflict" };
};
