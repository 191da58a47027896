import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { loadOrCreateKey } from './key-file.js';

const PREFIX = 'sealed:v1:';

/**
 * Seals secrets that must outlive a crash (passwords in a pending task's parameters) with
 * AES-256-GCM, so the state store never holds them in clear. The key file is made on first use
 * (mode 0600); servers sharing one PostgreSQL must share it too.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(keyFile: string) {
    this.key = loadOrCreateKey(keyFile);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${PREFIX}${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${data.toString('base64')}`;
  }

  open(sealed: string): string {
    if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed value');
    const [iv, tag, data] = sealed.slice(PREFIX.length).split(':');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv ?? '', 'base64'));
    decipher.setAuthTag(Buffer.from(tag ?? '', 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data ?? '', 'base64')), decipher.final()]).toString('utf8');
  }
}
