import saslprep from '@mongodb-js/saslprep';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's own default (scram_iterations in PostgreSQL 16, fixed in 15). */
const ITERATIONS = 4096;

/** The password as PostgreSQL normalises it before hashing: SASLprep where it applies, else the bytes as given. */
function normalised(password: string): string {
  try {
    return saslprep(password);
  } catch {
    // PostgreSQL (like libpq) hashes a password SASLprep refuses exactly as sent.
    return password;
  }
}

/**
 * A SCRAM-SHA-256 verifier, `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (RFC 5802,
 * the form pg_authid holds). PostgreSQL takes it in `PASSWORD '…'` and stores it as is, so no
 * statement the engine sees, logs or echoes in an error holds the password in clear.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(normalised(password), salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
