/**
 * Typed handlers (ADR 0032): a job type's payload type flows from its handler to `submit`,
 * `submitMany` and the worker's handlers. The checks are types, enforced by `npm run typecheck`
 * (expectTypeOf and @ts-expect-error fail compilation when a type is wrong); the runtime part
 * checks `defineHandlers` hands back the handlers it was given.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type Docket,
  defineHandlers,
  type HandlerContext,
  type JobView,
  type PayloadsOf,
  type SubmitOutcome,
} from "../src/index.ts";

interface Email {
  readonly to: string;
  readonly subject?: string;
}

const fromAnnotations = defineHandlers({
  "send-email": async (payload: Email, ctx) => {
    expectTypeOf(ctx).toEqualTypeOf<HandlerContext>();
    return { delivered: payload.to };
  },
  resize: (payload: { width: number }) => payload.width * 2,
  ping: () => "pong",
});

/** Declared first: every handler's payload and ctx are typed from the map. */
type Declared = { "send-email": Email; resize: { width: number } };
const fromMap = defineHandlers<Declared>({
  "send-email": (payload, ctx) => {
    expectTypeOf(payload).toEqualTypeOf<Email>();
    expectTypeOf(ctx).toEqualTypeOf<HandlerContext>();
    return null;
  },
  resize: (payload) => {
    expectTypeOf(payload).toEqualTypeOf<{ width: number }>();
    return payload.width;
  },
});

describe("typed handlers", () => {
  it("defineHandlers returns the handlers it is given", () => {
    expect(Object.keys(fromAnnotations)).toEqual(["send-email", "resize", "ping"]);
    expect(fromMap.resize({ width: 3 }, {} as HandlerContext)).toBe(3);
  });

  it("PayloadsOf reads each job type's payload type off its handler (unknown when not annotated)", () => {
    expectTypeOf<PayloadsOf<typeof fromAnnotations>>().toEqualTypeOf<{
      readonly "send-email": Email;
      readonly resize: { width: number };
      readonly ping: unknown;
    }>();
  });

  it("submit takes the payload of the job type named, and only the job types declared", () => {
    type Typed = Docket<PayloadsOf<typeof fromAnnotations>>;
    expectTypeOf<Typed["submit"]>().toBeCallableWith("send-email", { to: "a@b.c" });
    expectTypeOf<Typed["submit"]>().toBeCallableWith("resize", { width: 10 }, { queue: "images" });
    expectTypeOf<Typed["submit"]>().returns.toEqualTypeOf<Promise<JobView>>();
    const check = (docket: Typed) => {
      // @ts-expect-error: a resize payload is not an email
      void docket.submit("send-email", { width: 10 });
      // @ts-expect-error: no such job type
      void docket.submit("send-emial", { to: "a@b.c" });
      // @ts-expect-error: the priority is one of four names
      void docket.submit("resize", { width: 1 }, { priority: "urgent" });
      // Each item of submitMany is checked against its own type.
      expectTypeOf(
        docket.submitMany([
          { type: "send-email", payload: { to: "a@b.c" } },
          { type: "resize", payload: { width: 1 }, priority: "high" },
        ]),
      ).resolves.toEqualTypeOf<ReadonlyArray<SubmitOutcome>>();
      // @ts-expect-error: an item whose payload is another type's
      void docket.submitMany([{ type: "resize", payload: { to: "a@b.c" } }]);
    };
    expect(typeof check).toBe("function");
  });

  it("a worker takes handlers for some of the declared job types, typed the same way", () => {
    const check = async (docket: Docket<Declared>) => {
      await docket.worker({ handlers: { resize: fromMap.resize } });
      await docket.worker({ handlers: fromMap, queues: ["default", "images"], concurrency: 2 });
      // @ts-expect-error: this handler takes an email, not a resize payload
      await docket.worker({ handlers: { resize: (payload: Email) => payload.to } });
    };
    expect(typeof check).toBe("function");
  });

  it("without a payload map, any job type and payload are accepted by the types", () => {
    expectTypeOf<Docket["submit"]>().toBeCallableWith("anything", { any: ["json"] });
  });
});
