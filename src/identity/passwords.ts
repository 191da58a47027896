import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';

/** scrypt parameters: 16 MiB of memory a hash, about 50 ms on one core. */
const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

/** Longer passwords are refused when set (as Keystone's max_password_length): no login needs more. */
export const MAX_PASSWORD_LENGTH = 4096;

/**
 * The current scheme: scrypt over the SHA-256 of the password. scrypt feeds the password to
 * PBKDF2-HMAC-SHA256 as the HMAC key, and HMAC pads a short key with zero bytes and hashes a
 * key over 64 bytes: on the bare password "secret" and "secret\0" (or any trailing NULs) are
 * the same key, and so is a long password and its own SHA-256. Every digest is 32 bytes, so
 * each password is one key of its own.
 */
const SCHEME = 'scrypt-sha256';
/** Hashes made before that: verified as they were made, and replaced at the next login. */
const LEGACY_SCHEME = 'scrypt';

function scrypt(password: BinaryLike, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function prehash(password: string): Buffer {
  return createHash('sha256').update(password, 'utf8').digest();
}

/** A self-describing hash: `scrypt-sha256$N$r$p$salt$key`, salt and key in base64. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(prehash(password), salt, { N, r: R, p: P });
  return [SCHEME, N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

export interface PasswordCheck {
  ok: boolean;
  /** The hash is of an older scheme: store a new one now that the password is known. */
  stale: boolean;
}

export async function verifyPassword(password: string, stored: string): Promise<PasswordCheck> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if ((scheme !== SCHEME && scheme !== LEGACY_SCHEME) || !n || !r || !p || !salt || !key) return { ok: false, stale: false };
  const expected = Buffer.from(key, 'base64');
  const material = scheme === SCHEME ? prehash(password) : password;
  const actual = await scrypt(material, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  const ok = actual.length === expected.length && timingSafeEqual(actual, expected);
  return { ok, stale: ok && scheme === LEGACY_SCHEME };
}
