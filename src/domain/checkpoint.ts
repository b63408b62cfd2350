/**
 * Archive checkpoints (ADR 0029): the text a sealed segment's checkpoint holds, in the C2SP
 * tlog-checkpoint shape (c2sp.org/tlog-checkpoint), wrapped in a C2SP signed note
 * (c2sp.org/signed-note). Formatting, parsing and the key id; signing and verifying the
 * signature are the archive room's port (the key never comes near the domain).
 *
 * Body (every line ends in a newline; lines 4.. are our extension lines, "name value"):
 *
 *   docket/<prefix>                 origin: which deployment's log
 *   <tree size>                     leaves in this segment's tree (= its entries)
 *   <base64 root>                   RFC 6962 root over the entries (merkle.ts)
 *   shard <n>
 *   segment <i>                     0, 1, 2, … per shard
 *   first <entry id>                the first and last shard-log entry ids in the segment
 *   last <entry id>
 *   events <n>                      entries archived in this shard through this segment
 *   fence <token>                   the archiver lease's fencing token that wrote it
 *   prev <hex>                      SHA-256 of the previous checkpoint's body (64 zeros for 0)
 *
 * Signed note: the body, a blank line, then one line per signature:
 * "— <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>", where the key id is the
 * first four bytes of SHA-256(key name || 0x0A || 0x01 || 32-byte public key). The key name is
 * the origin. The chain links bodies, not signatures, so re-signing (key rotation) keeps it.
 */
import * as crypto from "node:crypto";
import { sha256Hex } from "./canonical-json.ts";
import { GENESIS_HASH } from "./envelope.ts";

export interface CheckpointBody {
  readonly origin: string;
  readonly treeSize: number;
  /** 32 bytes. */
  readonly root: Uint8Array;
  readonly shard: number;
  readonly segment: number;
  readonly firstEntryId: string;
  readonly lastEntryId: string;
  /** Entries archived in this shard through this segment. */
  readonly events: number;
  readonly fence: number;
  /** SHA-256 (hex) of the previous checkpoint's body text; CHAIN_START for segment 0. */
  readonly prev: string;
}

/** `prev` of a shard's first checkpoint. */
export const CHAIN_START = GENESIS_HASH;

export interface NoteSignature {
  readonly keyName: string;
  /** 4 bytes. */
  readonly keyId: Uint8Array;
  readonly signature: Uint8Array;
}

export interface SignedNote {
  /** The signed text, ending in a newline. */
  readonly body: string;
  readonly signatures: ReadonlyArray<NoteSignature>;
}

const EM_DASH = "\u2014";
const ENTRY_ID = /^[0-9]{1,20}-[0-9]{1,20}$/;
const HEX_HASH = /^[0-9a-f]{64}$/;
const COUNT = /^(0|[1-9][0-9]{0,15})$/;
/** C2SP: a key name is non-empty, with no spaces and no '+'. Ours also keeps to visible ASCII. */
const KEY_NAME = /^[!-*,-~]+$/;

export const isKeyName = (name: string): boolean => KEY_NAME.test(name);

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

/** Strict standard base64 (RFC 4648 §4): what Buffer would silently accept otherwise is refused. */
const fromBase64 = (text: string): Uint8Array | undefined => {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = new Uint8Array(Buffer.from(text, "base64"));
  return base64(bytes) === text ? bytes : undefined;
};

export const formatCheckpointBody = (c: CheckpointBody): string =>
  [
    c.origin,
    String(c.treeSize),
    base64(c.root),
    `shard ${c.shard}`,
    `segment ${c.segment}`,
    `first ${c.firstEntryId}`,
    `last ${c.lastEntryId}`,
    `events ${c.events}`,
    `fence ${c.fence}`,
    `prev ${c.prev}`,
    "",
  ].join("\n");

/** The hash a following checkpoint's `prev` names. */
export const checkpointBodyHash = (body: string): string => sha256Hex(body);

const EXTENSIONS = ["shard", "segment", "first", "last", "events", "fence", "prev"] as const;

/** A checkpoint body as formatCheckpointBody writes it, or why it is not one. */
export const parseCheckpointBody = (body: string): CheckpointBody | string => {
  if (!body.endsWith("\n")) return "the body does not end in a newline";
  const lines = body.slice(0, -1).split("\n");
  if (lines.length !== 3 + EXTENSIONS.length)
    return `expected ${3 + EXTENSIONS.length} lines, found ${lines.length}`;
  const [origin, size, root, ...rest] = lines as [string, string, string, ...Array<string>];
  if (!isKeyName(origin)) return `origin ${JSON.stringify(origin)} is not a name`;
  if (!COUNT.test(size)) return `tree size ${JSON.stringify(size)} is not a count`;
  const rootBytes = fromBase64(root);
  if (rootBytes === undefined || rootBytes.length !== 32) return "the root is not 32 bytes of base64";
  const values: Record<string, string> = {};
  for (const [i, name] of EXTENSIONS.entries()) {
    const line = rest[i] as string;
    if (!line.startsWith(`${name} `))
      return `line ${i + 4} should be "${name} …", found ${JSON.stringify(line)}`;
    values[name] = line.slice(name.length + 1);
  }
  for (const name of ["shard", "segment", "events", "fence"] as const)
    if (!COUNT.test(values[name] as string)) return `${name} ${JSON.stringify(values[name])} is not a count`;
  for (const name of ["first", "last"] as const)
    if (!ENTRY_ID.test(values[name] as string))
      return `${name} ${JSON.stringify(values[name])} is not an entry id`;
  if (!HEX_HASH.test(values.prev as string)) return "prev is not a SHA-256 hash in hex";
  return {
    origin,
    treeSize: Number(size),
    root: rootBytes,
    shard: Number(values.shard),
    segment: Number(values.segment),
    firstEntryId: values.first as string,
    lastEntryId: values.last as string,
    events: Number(values.events),
    fence: Number(values.fence),
    prev: values.prev as string,
  };
};

/** The signed-note key id of an Ed25519 key (0x01 is the Ed25519 signature type). */
export const noteKeyId = (keyName: string, publicKey: Uint8Array): Uint8Array =>
  new Uint8Array(
    crypto
      .createHash("sha256")
      .update(keyName, "utf8")
      .update(Uint8Array.of(0x0a, 0x01))
      .update(publicKey)
      .digest()
      .subarray(0, 4),
  );

export const formatSignedNote = (note: SignedNote): string =>
  `${note.body}\n${note.signatures
    .map((s) => `${EM_DASH} ${s.keyName} ${base64(Buffer.concat([s.keyId, s.signature]))}\n`)
    .join("")}`;

/** A signed note's body and signatures, or why the text is not one (C2SP signed-note rules). */
export const parseSignedNote = (text: string): SignedNote | string => {
  // No control characters but newline (C2SP); also refuses a carriage return or NUL smuggled in.
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return "the note holds a control character";
  }
  const split = text.lastIndexOf("\n\n");
  if (split < 0) return "no blank line separates the text from its signatures";
  const body = text.slice(0, split + 1);
  const lines = text.slice(split + 2).split("\n");
  if (lines.pop() !== "") return "the last signature line does not end in a newline";
  if (lines.length === 0) return "the note has no signature";
  const signatures: Array<NoteSignature> = [];
  for (const line of lines) {
    const parts = line.split(" ");
    if (parts.length !== 3 || parts[0] !== EM_DASH || !isKeyName(parts[1] as string))
      return `not a signature line: ${JSON.stringify(line)}`;
    const bytes = fromBase64(parts[2] as string);
    if (bytes === undefined || bytes.length < 5)
      return `the signature of ${parts[1]} is not base64 of a key id and a signature`;
    signatures.push({
      keyName: parts[1] as string,
      keyId: bytes.subarray(0, 4),
      signature: bytes.subarray(4),
    });
  }
  return { body, signatures };
};
