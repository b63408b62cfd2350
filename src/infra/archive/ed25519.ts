/**
 * Ed25519 on node:crypto for the archive's checkpoints (ADR 0029): the signer over the private
 * key and the verifier over a raw public key (the archive room's NoteSigner / NoteVerifier), and
 * the key file. The key comes from DOCKET_SIGNING_KEY (a PKCS#8 PEM path) or, when that is not
 * set, from `<data dir>/archive-signing-key.pem`, generated on first start with mode 0600.
 * The private key never leaves this module; `publicKeyPem` is what auditors are given.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { kindOf } from "./file-kind.ts";
import type { NoteSigner, NoteVerifier } from "../../engine/archive/index.ts";

export const DEFAULT_KEY_FILE = "archive-signing-key.pem";

export interface SigningKey {
  readonly signer: NoteSigner;
  readonly publicKeyPem: string;
  /** Where the private key was read from (or generated into). */
  readonly path: string;
  readonly generated: boolean;
  /** The key file's permission bits (0o600 when generated): others must not read a private key. */
  readonly mode: number;
}

/** The raw 32 bytes of an Ed25519 public key object. */
const rawPublicKey = (key: KeyObject): Uint8Array => {
  if (key.asymmetricKeyType !== "ed25519")
    throw new Error(`not an Ed25519 key (${key.asymmetricKeyType ?? key.type})`);
  const { x } = key.export({ format: "jwk" }) as { x?: string };
  if (x === undefined) throw new Error("the key has no public part");
  return new Uint8Array(Buffer.from(x, "base64url"));
};

const signerOf = (privateKey: KeyObject): NoteSigner => {
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return {
    publicKey,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
};

/** A PEM key is well under a kilobyte; anything past this is not one. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * A key file's text: a regular file of at most MAX_KEY_FILE_BYTES, or an error (with the errno
 * code of what failed) saying what it is instead. Opened without blocking and checked on the open
 * descriptor: a FIFO would hold the read (and, read synchronously, the whole process) until
 * something wrote to it, /dev/zero would never end, and a large file would be read whole first.
 */
export const readKeyFile = (path: string): string => {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile())
      throw Object.assign(new Error(`${path} is not a regular file (${kindOf(stats)})`), { code: "ENOTREG" });
    if (stats.size > MAX_KEY_FILE_BYTES)
      throw Object.assign(
        new Error(`${path} is ${stats.size} bytes: a PEM key is under ${MAX_KEY_FILE_BYTES} bytes`),
        { code: "EFBIG" },
      );
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
};

/** Why a PEM text that is not a usable private key is not one, in words, or undefined. */
const notAPrivateKey = (pem: string): string | undefined =>
  /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)
    ? "it is encrypted (Docket needs an unencrypted PKCS#8 key, mode 0600)"
    : /-----BEGIN (RSA |EC )?PUBLIC KEY-----/.test(pem) && !/PRIVATE KEY-----/.test(pem)
      ? "it is a public key (the signing key is the private one; auditors get the public key)"
      : undefined;

/** Write a new file with these bytes, mode 0600, fsynced; EEXIST if it is there. */
const writeNewPrivateFile = (path: string, text: string): void => {
  const fd = openSync(path, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

/**
 * The signing key cannot be used: missing, unreadable, not a key file, or not an Ed25519 private
 * key. A configuration error (the CLI exits 2), named so callers across a thread can tell.
 */
export class SigningKeyError extends Error {
  override readonly name = "SigningKeyError";
}

/**
 * The archive's signing key: from `keyPath` when given, else from (or generated into) the data
 * directory. Throws with the path and the reason when the file is not an Ed25519 private key.
 */
export const loadSigningKey = (options: {
  readonly keyPath?: string;
  readonly dataDir: string;
  /** Make the data directory's key when it is missing (default true; `docket audit key`: false). */
  readonly generate?: boolean;
}): SigningKey => {
  const path = resolve(options.keyPath ?? join(options.dataDir, DEFAULT_KEY_FILE));
  let generated = false;
  let pem: string;
  try {
    pem = readKeyFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT" || options.keyPath !== undefined)
      throw new SigningKeyError(`cannot read the signing key ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    if (options.generate === false)
      throw new SigningKeyError(
        `no signing key at ${path} yet: the archiver makes it when it first starts (or set DOCKET_SIGNING_KEY)`,
        { cause: error },
      );
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (mkdirError) {
      throw new SigningKeyError(`cannot make the signing key ${path}: ${(mkdirError as Error).message}`, {
        cause: mkdirError,
      });
    }
    const { privateKey } = generateKeyPairSync("ed25519");
    pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    try {
      writeNewPrivateFile(path, pem);
      generated = true;
    } catch (writeError) {
      // Another process generated it first: use theirs.
      if ((writeError as NodeJS.ErrnoException).code !== "EEXIST")
        throw new SigningKeyError(`cannot make the signing key ${path}: ${(writeError as Error).message}`, {
          cause: writeError,
        });
      pem = readKeyFile(path);
    }
  }
  let privateKey: KeyObject;
  try {
    // A passphrase, so an encrypted key is refused here instead of prompting for one.
    privateKey = createPrivateKey({ key: pem, passphrase: "" });
  } catch (error) {
    throw new SigningKeyError(
      `the signing key ${path} is not a PEM private key: ${notAPrivateKey(pem) ?? (error as Error).message}`,
      { cause: error },
    );
  }
  let signer: NoteSigner;
  try {
    signer = signerOf(privateKey);
  } catch (error) {
    throw new SigningKeyError(
      `the signing key ${path} cannot sign checkpoints: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return {
    signer,
    publicKeyPem: createPublicKey(privateKey).export({ format: "pem", type: "spki" }).toString(),
    path,
    generated,
    mode: statSync(path).mode & 0o777,
  };
};

/** The raw public key in a PEM file (a public key, or a private key whose public part is used). */
export const publicKeyFromPem = (pem: string): Uint8Array => rawPublicKey(createPublicKey(pem));

export const ed25519Verifier: NoteVerifier = {
  verify: (publicKey, message, signature) => {
    try {
      const key = createPublicKey({
        key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey).toString("base64url") },
        format: "jwk",
      });
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  },
};
