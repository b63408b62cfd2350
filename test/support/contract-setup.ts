/**
 * Set up for every integration and property test file (vitest.config.ts): a test fails when an
 * answer it got from the API does not match the contract (test/support/contract.ts).
 */
import { afterEach, expect } from "vitest";
import { takeViolations } from "./contract.ts";

afterEach(() => {
  expect(takeViolations(), "answers the API contract (src/contract) does not allow").toEqual([]);
});
