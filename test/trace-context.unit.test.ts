/**
 * The traceparent a job records (src/domain/trace-context.ts, ADR 0031): only a W3C version-00
 * traceparent with ids that are not all zeros is one; a JobSubmitted event holding anything else
 * is refused by the envelope check every reader runs; the submit records it in its event, and
 * the fold keeps it for the worker; a repeat of a submission from another trace is the same
 * submission; and the engine's span helpers read and write the same form.
 */
import { trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { contextOf, emptyHead, envelopeProblem, fold, isTraceparent, seal } from "../src/domain/index.ts";
import { spanContextOf, traceparentOf } from "../src/engine/shared/index.ts";
import { given } from "./support/decider-spec.ts";
import { client, spec, submitted, t } from "./support/fixtures.ts";

const VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const HOSTILE = [
  "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
  "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
  "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
  "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  `${VALID}-extra`,
  `${VALID}\n`,
  "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
  "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
  "",
];

describe("the traceparent a job records", () => {
  it("is a W3C version-00 traceparent with ids not all zeros, and nothing else", () => {
    expect(isTraceparent(VALID)).toBe(true);
    expect(isTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")).toBe(true);
    for (const value of [...HOSTILE, 42, null, undefined])
      expect(isTraceparent(value), String(value)).toBe(false);
  });

  it("is recorded in the JobSubmitted event and kept by the fold; an event holding another value is refused", () => {
    given()
      .when({ type: "SubmitJob", at: t(0), actor: client, spec: spec(), traceparent: VALID })
      .thenEvents([{ ...submitted(), data: { ...submitted().data, traceparent: VALID } }]);
    const event = { ...submitted(), data: { ...submitted().data, traceparent: VALID } };
    expect(contextOf(fold([event])).traceparent).toBe(VALID);
    expect(contextOf(fold([submitted()])).traceparent).toBeNull();
    const [sealed] = seal(emptyHead("job-1"), [event]).envelopes;
    expect(envelopeProblem(sealed)).toBeUndefined();
    for (const hostile of HOSTILE) {
      const [bad] = seal(emptyHead("job-1"), [
        { ...event, data: { ...event.data, traceparent: hostile } },
      ]).envelopes;
      expect(envelopeProblem(bad), hostile).toMatchObject({ path: ["data", "traceparent"] });
    }
  });

  it("a repeat of the same submission from another trace is the same submission (no events)", () => {
    given({ ...submitted(), data: { ...submitted().data, traceparent: VALID } })
      .when({
        type: "SubmitJob",
        at: t(5),
        actor: client,
        spec: spec(),
        traceparent: "00-11111111111111111111111111111111-2222222222222222-00",
      })
      .thenEvents([]);
  });

  it("the span helpers read a traceparent into a remote span context and write a span's back", () => {
    const remote = spanContextOf(VALID);
    expect(remote).toEqual({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      traceFlags: 1,
      isRemote: true,
    });
    expect(traceparentOf(trace.wrapSpanContext(remote as NonNullable<typeof remote>))).toBe(VALID);
    for (const hostile of HOSTILE) expect(spanContextOf(hostile), hostile).toBeUndefined();
  });
});
