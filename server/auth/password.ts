// Password hashes (PBKDF2-SHA256, per-user salt) and API tokens (random, kept
// only as SHA-256) with WebCrypto; comparisons in constant time (node:crypto).
import { createHash, timingSafeEqual } from "node:crypto";

/** OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
export const DEFAULT_ITERATIONS = 600_000;
/** Fewer than this is refused in a config: too cheap to brute-force. */
export const MIN_ITERATIONS = 100_000;

/** `pbkdf2-sha256$<iterations>$<salt, base64>$<32-byte key, base64>` */
export const PASSWORD_HASH =
  /^pbkdf2-sha256\$([1-9][0-9]{0,7})\$([A-Za-z0-9+/]{16,88}={0,2})\$([A-Za-z0-9+/]{43}=)$/;
/** SHA-256 of a token, lowercase hex. */
export const TOKEN_HASH = /^[0-9a-f]{64}$/;

const enc = new TextEncoder();
const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const unb64 = (s: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const hex = (b: Uint8Array) =>
  [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

/** SHA-256 of `b`: 32 bytes whatever the input's length. */
const digest = (b: Uint8Array) => createHash("sha256").update(b).digest();

/**
 * Equal, in time that says nothing about where the inputs differ nor about
 * their lengths: node:crypto's timingSafeEqual needs equal lengths, so it
 * compares the inputs' SHA-256 digests (equal exactly when the inputs are).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

async function pbkdf2(
  password: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(password),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

export async function hashPassword(
  password: string,
  iterations = DEFAULT_ITERATIONS,
): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const dk = await pbkdf2(password, salt, iterations);
  return `pbkdf2-sha256$${iterations}$${b64(salt)}$${b64(dk)}`;
}

/** The iteration count of a stored hash, or null if it is not one. */
export function hashIterations(stored: string): number | null {
  const m = PASSWORD_HASH.exec(stored);
  return m ? Number(m[1]) : null;
}

export async function verifyPassword(
  password: string,
  stored: string,
): Promise<boolean> {
  const m = PASSWORD_HASH.exec(stored);
  if (!m) return false;
  const dk = await pbkdf2(password, unb64(m[2]), Number(m[1]));
  return constantTimeEqual(dk, unb64(m[3]));
}

export async function sha256Hex(text: string): Promise<string> {
  return hex(
    new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(text))),
  );
}

/** A new API token: "pla_" and 32 random bytes, base64url. */
export function newToken(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return "pla_" +
    b64(b).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/** Random session id (32 bytes, base64url). */
export const newSessionId = () => newToken().slice(4);

/** Compares two hex/ASCII strings in constant time. */
export const constantTimeEqualText = (a: string, b: string) =>
  constantTimeEqual(enc.encode(a), enc.encode(b));
