/**
 * The dashboard's addresses (ui/links.ts) take whatever is in the URL's hash, which anyone can
 * write into a link: any text reads as some route and never throws (a malformed escape is the
 * not-found page), and a job's link always leads back to exactly that job, whatever its id holds.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jobHref, routeOf } from "../ui/links.ts";

describe("the dashboard's hash routes", () => {
  it("any hash reads as a route without throwing", () => {
    const pieces = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.constantFrom("#/jobs/", "%", "%E0%A4%A", "?", "/", "#", "%2F", "..", "#/jobs?status="),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 6 }), (parts) => {
        const route = routeOf(parts.join(""));
        expect(["overview", "jobs", "job", "dead-letters", "not-found"]).toContain(route.name);
      }),
    );
  });

  it("a job's link leads back to exactly that job, for any well-formed id", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1 }), (id) => {
        expect(routeOf(jobHref(id))).toEqual({ name: "job", id });
      }),
    );
  });
});
