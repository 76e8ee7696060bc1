import { SecretBox, SecretDecryptionError } from './secret-box.js';

const key = (n: number) => ({ id: `k${n}`, key: Buffer.alloc(32, n) });

describe('SecretBox (AES-256-GCM)', () => {
  it('round-trips, with a fresh IV each time', () => {
    const box = new SecretBox([key(1)]);
    const a = box.encrypt('EAAG-token-è-ok');
    const b = box.encrypt('EAAG-token-è-ok');
    expect(a).not.toBe(b);
    expect(a.startsWith('v1:k1:')).toBe(true);
    expect(box.decrypt(a)).toBe('EAAG-token-è-ok');
  });

  it('decrypts with an older key during a rotation and encrypts with the newest', () => {
    const old = new SecretBox([key(1)]).encrypt('secret');
    const rotated = new SecretBox([key(2), key(1)]);
    expect(rotated.decrypt(old)).toBe('secret');
    expect(rotated.needsReencryption(old)).toBe(true);
    expect(rotated.needsReencryption(rotated.encrypt('secret'))).toBe(false);
  });

  it('refuses tampered ciphertext, a relabelled key id and a missing key', () => {
    const box = new SecretBox([key(1), key(2)]);
    const sealed = box.encrypt('secret');
    const parts = sealed.split(':');
    const flipped = Buffer.from(parts[4], 'base64');
    flipped[0] = flipped[0] ^ 1;
    expect(() => box.decrypt([...parts.slice(0, 4), flipped.toString('base64')].join(':'))).toThrow(SecretDecryptionError);
    expect(() => box.decrypt(['v1', 'k2', ...parts.slice(2)].join(':'))).toThrow(SecretDecryptionError);
    expect(() => new SecretBox([key(3)]).decrypt(sealed)).toThrow(/not configured/);
    expect(() => box.decrypt('plain')).toThrow(/format/);
  });
});
