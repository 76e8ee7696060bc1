import { readdirSync, readFileSync } from 'node:fs';
import { signMetaPayload, verifyMetaSignature } from './signature.js';

const FIXTURES = new URL('./__fixtures__/', import.meta.url);
const fixtureNames = readdirSync(FIXTURES).filter((name) => name.endsWith('.json'));
const read = (name: string) => readFileSync(new URL(name, FIXTURES));

const SECRET = 'app-secret-current';
const OLD_SECRET = 'app-secret-previous';

describe('verifyMetaSignature', () => {
  it('finds the fixtures', () => {
    expect(fixtureNames.length).toBeGreaterThanOrEqual(7);
  });

  it.each(fixtureNames)('accepts %s signed over its bytes exactly as read', (name) => {
    const raw = read(name);
    expect(verifyMetaSignature(raw, signMetaPayload(raw, SECRET), [SECRET])).toBe(true);
  });

  it('rejects the same payload once re-serialized (different bytes)', () => {
    const raw = read('01-inbound-text-attiva.json');
    const header = signMetaPayload(raw, SECRET);
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))));
    expect(reserialized.equals(raw)).toBe(false);
    expect(verifyMetaSignature(reserialized, header, [SECRET])).toBe(false);
  });

  it('signs the escaped form Meta sends, not the decoded text', () => {
    const escaped = Buffer.from('{"text":{"body":"citt\\u00e0"}}');
    const decoded = Buffer.from('{"text":{"body":"città"}}');
    const header = signMetaPayload(escaped, SECRET);
    expect(verifyMetaSignature(escaped, header, [SECRET])).toBe(true);
    expect(verifyMetaSignature(decoded, header, [SECRET])).toBe(false);
  });

  it('rejects a wrong secret, a tampered body and a flipped digest', () => {
    const raw = read('07-status-sent.json');
    const header = signMetaPayload(raw, SECRET);
    expect(verifyMetaSignature(raw, header, ['another-secret'])).toBe(false);
    const tampered = Buffer.from(raw);
    tampered[tampered.length - 2] ^= 1;
    expect(verifyMetaSignature(tampered, header, [SECRET])).toBe(false);
    const flipped = header.slice(0, -1) + (header.endsWith('0') ? '1' : '0');
    expect(verifyMetaSignature(raw, flipped, [SECRET])).toBe(false);
  });

  it('rejects a missing or empty header', () => {
    const raw = read('01-inbound-text-attiva.json');
    expect(verifyMetaSignature(raw, undefined, [SECRET])).toBe(false);
    expect(verifyMetaSignature(raw, '', [SECRET])).toBe(false);
  });

  it('rejects malformed headers without throwing', () => {
    const raw = read('01-inbound-text-attiva.json');
    const hex = signMetaPayload(raw, SECRET).slice('sha256='.length);
    for (const header of [
      hex,
      `sha1=${hex}`,
      `sha256=${hex.slice(0, 62)}`,
      `sha256=${hex}00`,
      `sha256=${hex.slice(0, 63)}z`,
      `sha256= ${hex}`,
      `sha256=${Buffer.from(hex, 'hex').toString('base64')}`,
      'sha256=',
    ]) {
      expect(verifyMetaSignature(raw, header, [SECRET])).toBe(false);
    }
  });

  it('accepts an uppercase hex digest (same bytes)', () => {
    const raw = read('04-inbound-location.json');
    const hex = signMetaPayload(raw, SECRET).slice('sha256='.length);
    expect(verifyMetaSignature(raw, `sha256=${hex.toUpperCase()}`, [SECRET])).toBe(true);
  });

  it('accepts either secret during a rotation, and only those', () => {
    const raw = read('10-status-failed-131047-reengagement.json');
    const rotating = [SECRET, OLD_SECRET];
    expect(verifyMetaSignature(raw, signMetaPayload(raw, OLD_SECRET), rotating)).toBe(true);
    expect(verifyMetaSignature(raw, signMetaPayload(raw, SECRET), rotating)).toBe(true);
    expect(verifyMetaSignature(raw, signMetaPayload(raw, 'third'), rotating)).toBe(false);
    expect(verifyMetaSignature(raw, signMetaPayload(raw, OLD_SECRET), [SECRET])).toBe(false);
  });

  it('never accepts anything when no secret (or only an empty one) is configured', () => {
    const raw = read('01-inbound-text-attiva.json');
    expect(verifyMetaSignature(raw, signMetaPayload(raw, ''), [])).toBe(false);
    expect(verifyMetaSignature(raw, signMetaPayload(raw, ''), [''])).toBe(false);
  });
});

describe('signMetaPayload', () => {
  it('matches a known HMAC-SHA256 vector (RFC 4231 test case 2)', () => {
    expect(signMetaPayload('what do ya want for nothing?', 'Jefe')).toBe('sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('gives the same value for a string and its UTF-8 bytes', () => {
    expect(signMetaPayload('città', SECRET)).toBe(signMetaPayload(Buffer.from('città', 'utf8'), SECRET));
  });
});
