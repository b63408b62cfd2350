/**
 * Dependencies, pure (ADR 0042): the decider's answers for each failure policy, a dependency's
 * end recorded once, a policy dead letter released when its dependency is retried and
 * completes, the cycle rule, the submit's normalisation, and explain's story.
 */
import { describe, expect, it } from "vitest";
import {
  dependencyOutcome,
  emptyHead,
  findCycle,
  type JobEvent,
  type JobSpec,
  seal,
} from "../src/domain/index.ts";
import { auditValues, explain } from "../src/engine/audit/index.ts";
import { normaliseSubmit } from "../src/engine/write/index.ts";
import { given } from "./support/decider-spec.ts";
import { client, spec, submitted, t } from "./support/fixtures.ts";

const follower = { kind: "system" as const, id: "follower-1" };

const withDeps = (...deps: ReadonlyArray<[string, "fail" | "ignore" | "continue"]>): JobSpec =>
  spec({ dependsOn: deps.map(([jobId, onFailure]) => ({ jobId, onFailure })) });

const ended = (
  dependency: string,
  status: "completed" | "dead_letter" | "cancelled",
  at = t(10),
): JobEvent => ({
  type: "DependencyEnded",
  at,
  actor: follower,
  data: { dependency, status },
});
/** Dependency "a" dead-lettered, which failed the job by policy. */
const failedBy: JobEvent = {
  type: "JobFailedByDependency",
  at: t(10),
  actor: follower,
  data: { dependency: "a", status: "dead_letter" },
};
const released = (dependencies: number, endedCount: number, at = t(10)): JobEvent => ({
  type: "JobReleased",
  at,
  actor: follower,
  data: { dependencies, ended: endedCount },
});
const end = (dependency: string, status: "completed" | "dead_letter" | "cancelled", at = t(10)) =>
  ({ type: "RecordDependencyEnd", at, actor: follower, dependency, status }) as const;

describe("decide: dependencies", () => {
  it("an end that does not settle the job is recorded alone; the one that does comes with the release", () => {
    const s = withDeps(["a", "fail"], ["b", "fail"]);
    given(submitted(s))
      .when(end("a", "completed"))
      .thenEvents([ended("a", "completed")]);
    given(submitted(s), ended("a", "completed"))
      .when(end("b", "completed", t(20)))
      .thenEvents([ended("b", "completed", t(20)), released(2, 2, t(20))]);
  });

  it("a signal sent while the job waits for its dependencies is kept for its handler, and the release still follows", () => {
    // Found by the merged model-based suite: `waiting` (ADR 0042) had no SignalReceived, which
    // every other state before a job ends accepts (ADR 0043).
    const s = withDeps(["a", "fail"]);
    const signal = { type: "SignalJob", at: t(5), actor: client, name: "approved" } as const;
    const received: JobEvent = {
      type: "SignalReceived",
      at: t(5),
      actor: client,
      data: { name: "approved" },
    };
    given(submitted(s)).when(signal).thenEvents([received]);
    given(submitted(s), received).when(signal).thenRejected("signal_already_received");
    given(submitted(s), received)
      .when(end("a", "completed", t(20)))
      .thenEvents([ended("a", "completed", t(20)), released(1, 1, t(20))]);
  });

  it("a repeated end appends nothing; an end of a job it does not name is refused", () => {
    const s = withDeps(["a", "fail"], ["b", "fail"]);
    given(submitted(s), ended("a", "completed")).when(end("a", "completed")).thenEvents([]);
    given(submitted(s)).when(end("x", "completed")).thenRejected("illegal_transition");
  });

  it("fail: a dead-lettered dependency dead-letters the job by policy, naming it", () => {
    given(submitted(withDeps(["a", "fail"], ["b", "ignore"])))
      .when(end("a", "dead_letter"))
      .thenEvents([
        ended("a", "dead_letter"),
        {
          type: "JobFailedByDependency",
          at: t(10),
          actor: follower,
          data: { dependency: "a", status: "dead_letter" },
        },
      ]);
  });

  it("ignore: a failed dependency counts as an end; the job waits for the others", () => {
    const s = withDeps(["a", "ignore"], ["b", "fail"]);
    given(submitted(s))
      .when(end("a", "cancelled"))
      .thenEvents([ended("a", "cancelled")]);
    given(submitted(s), ended("a", "cancelled"))
      .when(end("b", "completed", t(20)))
      .thenEvents([ended("b", "completed", t(20)), released(2, 2, t(20))]);
  });

  it("continue: a failed dependency releases the job at once", () => {
    given(submitted(withDeps(["a", "continue"], ["b", "fail"])))
      .when(end("a", "dead_letter"))
      .thenEvents([ended("a", "dead_letter"), released(2, 1)]);
  });

  it("a job dead-lettered by policy is released once the failed dependency, retried, completes", () => {
    given(submitted(withDeps(["a", "fail"])), ended("a", "dead_letter"), failedBy)
      .when(end("a", "completed", t(30)))
      .thenEvents([ended("a", "completed", t(30)), released(1, 1, t(30))]);
  });

  it("a job dead-lettered by policy can be cancelled (it might still be released); one whose own attempts ran out cannot", () => {
    const cancel = { type: "CancelJob" as const, at: t(20), actor: client, reason: "with its parent" };
    given(submitted(withDeps(["a", "fail"])), ended("a", "dead_letter"), failedBy)
      .when(cancel)
      .thenEvents([{ type: "JobCancelled", at: t(20), actor: client, data: { reason: "with its parent" } }]);
    // Cancelled, it takes no release: the dependency's later completion changes nothing.
    given(submitted(withDeps(["a", "fail"])), ended("a", "dead_letter"), failedBy, {
      type: "JobCancelled",
      at: t(20),
      actor: client,
      data: {},
    })
      .when(end("a", "completed", t(30)))
      .thenEvents([]);
  });

  it("a submit whose dependencies already ended is released in its own append", () => {
    const s = withDeps(["a", "fail"]);
    given()
      .when({
        type: "SubmitJob",
        at: t(0),
        actor: client,
        spec: s,
        endedDependencies: [{ jobId: "a", status: "completed" }],
      })
      .thenEvents([
        submitted(s),
        { ...ended("a", "completed", t(0)), actor: client },
        { ...released(1, 1, t(0)), actor: client },
      ]);
  });

  it("a release must restate its counts, and no release is accepted before the ends allow it", () => {
    // A hand-made release with ends missing is not an event the machine takes.
    const s = withDeps(["a", "fail"], ["b", "fail"]);
    expect(() => auditValuesOf([submitted(s), released(2, 0)])).toThrow(/illegal|refused/i);
    // A dependency named like an Object.prototype member has no end until one is recorded.
    const odd = spec({ dependsOn: [{ jobId: "constructor", onFailure: "ignore" }] });
    expect(() => auditValuesOf([submitted(odd), released(1, 0)])).toThrow(/illegal|refused/i);
  });
});

/** Seal and audit a history; throws with the finding when it is not legal. */
const auditValuesOf = (events: ReadonlyArray<JobEvent>) => {
  const { envelopes } = seal(emptyHead("job-1"), events);
  const history = auditValues("job-1", envelopes);
  if (history.failure !== null)
    throw new Error(`refused: ${history.failure.code} ${history.failure.message}`);
  return history;
};

describe("dependencies: pure rules", () => {
  it("the outcome: fail outranks continue, continue releases early, ignore waits for the rest", () => {
    const deps = [
      { jobId: "a", onFailure: "continue" as const },
      { jobId: "b", onFailure: "fail" as const },
      { jobId: "c", onFailure: "ignore" as const },
    ];
    expect(dependencyOutcome(deps, {})._tag).toBe("Wait");
    expect(dependencyOutcome(deps, { c: "dead_letter" })._tag).toBe("Wait");
    expect(dependencyOutcome(deps, { a: "cancelled" })._tag).toBe("Release");
    expect(dependencyOutcome(deps, { a: "cancelled", b: "dead_letter" })).toEqual({
      _tag: "Fail",
      dependency: "b",
      status: "dead_letter",
    });
    expect(dependencyOutcome(deps, { a: "completed", b: "completed", c: "cancelled" })._tag).toBe("Release");
  });

  it("a cycle is found through any chain, and a tree has none", () => {
    expect(
      findCycle(
        new Map([
          ["p", ["a", "b"]],
          ["a", ["c"]],
          ["b", []],
        ]),
      ),
    ).toBeUndefined();
    expect(
      findCycle(
        new Map([
          ["p", ["a"]],
          ["a", ["b"]],
          ["b", ["p"]],
        ]),
      ),
    ).toEqual(["p", "a", "b", "p"]);
    expect(findCycle(new Map([["p", ["p"]]]))).toEqual(["p", "p"]);
  });

  it("dependsOn is normalised to ids with their policy (fail by default); a job named twice is refused", () => {
    const ok = normaliseSubmit({ type: "r", dependsOn: ["a", { jobId: "b", onFailure: "ignore" }] }, 0);
    expect(ok._tag === "Success" && ok.success.spec.dependsOn).toEqual([
      { jobId: "a", onFailure: "fail" },
      { jobId: "b", onFailure: "ignore" },
    ]);
    const twice = normaliseSubmit({ type: "r", dependsOn: ["a", "a"] }, 0);
    expect(twice._tag === "Failure" && twice.failure.field).toBe("dependsOn");
  });
});

describe("explain: dependencies", () => {
  it("tells how long the job waited, which dependency failed, and that the policy failed it", () => {
    const s = withDeps(["child-x", "fail"], ["child-y", "fail"]);
    const history = auditValuesOf([
      submitted(s),
      ended("child-y", "completed", t(1.5)),
      ended("child-x", "dead_letter", t(3.2)),
      {
        type: "JobFailedByDependency",
        at: t(3.2),
        actor: follower,
        data: { dependency: "child-x", status: "dead_letter" },
      },
    ]);
    const story = explain(history);
    const texts = story.sentences.map((s) => s.text);
    expect(texts).toContain("Dependency child-y completed, 1.5 s after submit.");
    expect(texts).toContain("Dependency child-x was dead-lettered (policy fail), 3.2 s after submit.");
    expect(story.summary).toBe(`Dead-lettered by policy at ${t(3.2)}: dependency child-x was dead-lettered.`);
  });

  it("tells a cancel of a job dead-lettered by policy as such", () => {
    const history = auditValuesOf([
      submitted(withDeps(["child-x", "fail"])),
      ended("child-x", "dead_letter", t(3.2)),
      {
        type: "JobFailedByDependency",
        at: t(3.2),
        actor: follower,
        data: { dependency: "child-x", status: "dead_letter" },
      },
      { type: "JobCancelled", at: t(5), actor: client, data: { reason: "parent p was cancelled" } },
    ]);
    expect(explain(history).sentences.map((s) => s.text)).toContain(
      `Cancelled by client ${client.id} while dead-lettered by a dependency's failure (before any release): "parent p was cancelled".`,
    );
  });

  it("tells the release, and what a waiting job still waits for", () => {
    const s = withDeps(["a", "fail"], ["b", "fail"]);
    const waiting = explain(auditValuesOf([submitted(s), ended("a", "completed", t(2))]));
    expect(waiting.summary).toBe("Waiting for 1 dependency of 2: b.");
    const done = explain(
      auditValuesOf([
        submitted(s),
        ended("a", "completed", t(2)),
        ended("b", "completed", t(3)),
        released(2, 2, t(3)),
      ]),
    );
    expect(done.sentences.at(-1)?.text).toMatch(/^Released after waiting 3(\.0)? s for 2 dependencies; /);
  });
});
