import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from '../config/app-config.js';

const VERSION = 'v1';
const IV_BYTES = 12;

export class SecretDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}

/**
 * AES-256-GCM for secrets at rest (access tokens, app secrets, verify tokens). The stored form is
 * `v1:<keyId>:<iv>:<tag>:<ciphertext>` (base64), so several keys can be configured during a key
 * rotation: the first key encrypts, any configured key decrypts (docs/adr/0004).
 */
export class SecretBox {
  private readonly keys: Map<string, Buffer>;
  private readonly active: EncryptionKey;

  constructor(keys: EncryptionKey[]) {
    if (keys.length === 0) throw new Error('SecretBox needs at least one key');
    for (const k of keys) {
      if (k.key.length !== 32) throw new Error(`encryption key ${k.id} must be 32 bytes`);
    }
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    this.active = keys[0]!;
  }

  get activeKeyId(): string {
    return this.active.id;
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.active.key, iv);
    // The key id is authenticated too, so a ciphertext cannot be relabelled to another key.
    cipher.setAAD(Buffer.from(`${VERSION}:${this.active.id}`));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.active.id, iv.toString('base64'), tag.toString('base64'), ct.toString('base64')].join(':');
  }

  decrypt(stored: string): string {
    const parts = stored.split(':');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretDecryptionError('unrecognised secret format');
    const [, keyId, ivB64, tagB64, ctB64] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) throw new SecretDecryptionError(`secret was encrypted with key "${keyId}", which is not configured`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivB64, 'base64'));
      decipher.setAAD(Buffer.from(`${VERSION}:${keyId}`));
      decipher.setAuthTag(Buffer.from(tagB64, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(ctB64, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError(`secret could not be decrypted with key "${keyId}"`);
    }
  }

  /** True when the value was encrypted with a key other than the active one. */
  needsReencryption(stored: string): boolean {
    return stored.split(':')[1] !== this.active.id;
  }
}
