/**
 * Every state and every transition of the machine is reachable through `decide`.
 *
 * xstate/graph explores the machine, asking `decide` (not the machine) for the events to try
 * from each state, so a transition that decide can never produce shows up as unreached. The
 * random histories used by the other properties are checked to cover it all as well.
 */
import * as Result from "effect/Result";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { adjacencyMapToArray, getAdjacencyMap, getShortestPaths } from "xstate/graph";
import {
  contextOf,
  decide,
  evolve,
  JOB_STATES,
  type JobEvent,
  type JobState,
  jobMachine,
  machineTransitions,
  statusOf,
} from "../src/domain/index.ts";
import { historyArb, type Intent, runHistory, START_TIME, toCommand } from "./support/history.ts";

const key = (source: string, event: string, target: string) => `${source} --${event}--> ${target}`;
const allTransitions = new Set(machineTransitions().map((t) => key(t.source, t.event, t.target)));

const spec = {
  jobType: "email",
  payload: { to: "a@example.com" },
  queue: "default",
  priority: "normal",
  maxAttempts: 2,
  backoff: { type: "fixed", delayMs: 1_000 },
} as const;

const withDependencies = {
  ...spec,
  dependsOn: [
    { jobId: "dep-a", onFailure: "fail" },
    { jobId: "dep-b", onFailure: "fail" },
  ],
} as const;

/** One intent of each kind, so decide offers every kind of event from every state. */
const probeIntents: ReadonlyArray<Intent> = [
  { kind: "submit", spec, delayMs: null },
  { kind: "submit", spec, delayMs: 60_000 },
  { kind: "promote" },
  { kind: "start", attemptOffset: 0 },
  { kind: "progress", attemptOffset: 0, current: 1, total: 2 },
  { kind: "log", attemptOffset: 0, line: "working" },
  { kind: "meta", attemptOffset: 0, meta: { step: "resize" } },
  { kind: "complete", attemptOffset: 0, result: { ok: true } },
  {
    kind: "fail",
    attemptOffset: 0,
    error: { code: "handler_error", message: "boom", retryable: true },
    random: 0,
  },
  {
    kind: "fail",
    attemptOffset: 0,
    error: { code: "bad_input", message: "no", retryable: false },
    random: 0,
  },
  { kind: "cancel", reason: "not needed" },
  { kind: "retry", reason: "fixed upstream", attempts: null },
  { kind: "evict", purge: false, olderThanMs: 86_400_000 },
  {
    kind: "step",
    attemptOffset: 0,
    name: "charge",
    index: null,
    outcome: { result: { charged: true } },
  },
  {
    kind: "step",
    attemptOffset: 0,
    name: "charge",
    index: 1,
    outcome: { error: { code: "handler_error", message: "declined", retryable: true } },
  },
  { kind: "suspend", attemptOffset: 0, sleep: true, name: "cool-down", forMs: 60_000 },
  { kind: "suspend", attemptOffset: 0, sleep: false, name: "approval", forMs: 60_000 },
  { kind: "signal", name: "approval", payload: { ok: true } },
  // Dependencies (ADR 0042): a job that waits for two, and their ends.
  { kind: "submit", spec: withDependencies, delayMs: null },
  { kind: "submit", spec: withDependencies, delayMs: 60_000 },
  { kind: "dependencyEnd", dependency: "dep-a", status: "completed" },
  { kind: "dependencyEnd", dependency: "dep-a", status: "dead_letter" },
  { kind: "dependencyEnd", dependency: "dep-b", status: "completed" },
];

/** What tells states apart for the exploration (finite: a few fields of the context). */
const serializeState = (s: JobState): string => {
  const c = contextOf(s);
  return JSON.stringify([
    s.value,
    c.submitted,
    c.attempt,
    c.maxAttempts,
    c.dueAt !== null,
    c.lastError?.retryable,
    c.evicted,
    c.suspension,
    c.signals,
    c.dependencies.length,
    c.dependencyEnds,
    c.failedBy,
  ]);
};

/**
 * A decision of several events is one append (a failure that allows no retry, then its
 * JobDeadLettered): the graph takes one event per edge, so the events after the first are
 * offered from the state the first one leads to.
 */
const continuations = new Map<string, Array<JobEvent>>();

const decidedEvents = (state: JobState): ReadonlyArray<JobEvent> => {
  // Submissions happen at START_TIME; everything later happens once any wait is over.
  const { submitted, dueAt } = contextOf(state);
  const at = !submitted ? START_TIME : dueAt !== null ? Date.parse(dueAt) : START_TIME + 86_400_000;
  const firsts = probeIntents.flatMap((intent) => {
    // A dependency may end before the job's runAt: its release then leaves it pending.
    const when = intent.kind === "dependencyEnd" ? START_TIME + 1_000 : at;
    const decision = decide(toCommand(intent, state, when), state);
    if (Result.isFailure(decision)) return [];
    const [first, ...rest] = decision.success;
    if (first === undefined) return [];
    if (rest.length > 0) {
      const key = serializeState(evolve(state, first));
      continuations.set(key, [...(continuations.get(key) ?? []), ...rest]);
    }
    return [first];
  });
  return [...(continuations.get(serializeState(state)) ?? []), ...firsts];
};

describe("machine coverage", () => {
  it("every state and every transition of the machine is reached by events that decide produces", () => {
    const traversal = {
      events: decidedEvents,
      // Manual retries grant attempts without end; a few attempts are enough to see every edge.
      filterEvents: (state: JobState) => contextOf(state).attempt <= 4,
      // The exploration is finite because only these context fields tell states apart.
      serializeState,
    };
    // Shortest paths from the initial state reach states; the adjacency map holds every edge
    // taken from every reachable state.
    const reachedStates = new Set(
      getShortestPaths(jobMachine, traversal).map((path) => statusOf(path.state)),
    );
    const reachedTransitions = new Set(
      adjacencyMapToArray(getAdjacencyMap(jobMachine, traversal)).map(({ state, event, nextState }) =>
        key(statusOf(state), event.type, statusOf(nextState)),
      ),
    );
    expect([...reachedStates].sort()).toEqual([...JOB_STATES].sort());
    expect([...reachedTransitions].sort()).toEqual([...allTransitions].sort());
  });

  it("random histories reach every transition of the machine", () => {
    const reached = new Set<string>();
    const missing = () => [...allTransitions].filter((t) => !reached.has(t));
    // Batches of seeded histories until every transition is seen (at most 20,000 histories): a
    // new field in the generators shifts what one fixed seed draws, and must not hide an edge.
    for (let batch = 0; batch < 40 && missing().length > 0; batch++)
      for (const steps of fc.sample(historyArb, { numRuns: 500, seed: 20261123 + batch }))
        for (const step of runHistory(steps).trace) {
          let state = step.before;
          for (const event of step.events) {
            const next = evolve(state, event);
            reached.add(key(statusOf(state), event.type, statusOf(next)));
            state = next;
          }
        }
    expect(missing()).toEqual([]);
  });
});
