/**
 * Checkpoint bodies (C2SP tlog-checkpoint shape) and signed notes (C2SP signed-note): what is
 * written parses back to the same values, and what a checkpoint must not be is refused.
 */
import { describe, expect, it } from "vitest";
import {
  CHAIN_START,
  type CheckpointBody,
  formatCheckpointBody,
  formatSignedNote,
  noteKeyId,
  parseCheckpointBody,
  parseSignedNote,
} from "../src/domain/index.ts";

const body: CheckpointBody = {
  origin: "docket/prod",
  treeSize: 3,
  root: new Uint8Array(32).fill(7),
  shard: 2,
  segment: 41,
  firstEntryId: "1700000000000-0",
  lastEntryId: "1700000000005-3",
  events: 1234,
  fence: 9,
  prev: CHAIN_START,
};

describe("checkpoints", () => {
  it("a body is the origin, the size, the base64 root, then the extension lines; it parses back", () => {
    const text = formatCheckpointBody(body);
    expect(text.split("\n").slice(0, 4)).toEqual([
      "docket/prod",
      "3",
      Buffer.alloc(32, 7).toString("base64"),
      "shard 2",
    ]);
    expect(parseCheckpointBody(text)).toEqual(body);
  });

  it("refuses a body with a line missing, a bad count, a short root or a non-canonical base64", () => {
    const text = formatCheckpointBody(body);
    expect(typeof parseCheckpointBody(text.replace("fence 9\n", ""))).toBe("string");
    expect(typeof parseCheckpointBody(text.replace("events 1234", "events 01234"))).toBe("string");
    expect(typeof parseCheckpointBody(text.replace(Buffer.alloc(32, 7).toString("base64"), "AAAA"))).toBe(
      "string",
    );
    expect(typeof parseCheckpointBody(text.replace("first 1700000000000-0", "first x"))).toBe("string");
    expect(typeof parseCheckpointBody(text.slice(0, -1))).toBe("string");
  });

  it("a signed note is the body, a blank line and em-dash signature lines; key ids are 4 bytes of the key's hash", () => {
    const keyId = noteKeyId("docket/prod", new Uint8Array(32).fill(1));
    expect(keyId).toHaveLength(4);
    expect(noteKeyId("docket/other", new Uint8Array(32).fill(1))).not.toEqual(keyId);
    const note = formatSignedNote({
      body: formatCheckpointBody(body),
      signatures: [{ keyName: "docket/prod", keyId, signature: new Uint8Array(64).fill(3) }],
    });
    expect(note).toMatch(/\n\n\u2014 docket\/prod [A-Za-z0-9+/=]+\n$/);
    const parsed = parseSignedNote(note);
    if (typeof parsed === "string") throw new Error(parsed);
    expect(parsed.body).toBe(formatCheckpointBody(body));
    expect(parsed.signatures[0]?.keyId).toEqual(keyId);
    expect(parsed.signatures[0]?.signature).toEqual(new Uint8Array(64).fill(3));
  });

  it("refuses a note without signatures, with a control character, or with a hyphen for the em dash", () => {
    const text = formatCheckpointBody(body);
    expect(typeof parseSignedNote(text)).toBe("string");
    expect(typeof parseSignedNote(`${text}\n- docket/prod AAAAAAAA\n`)).toBe("string");
    expect(typeof parseSignedNote(`${text}\r\n\u2014 docket/prod AAAAAAAA\n`)).toBe("string");
  });
});
