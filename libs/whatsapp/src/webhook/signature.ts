import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=` then the 32-byte digest in hex; Meta sends lowercase, hex itself is case-insensitive. */
const HEADER = /^sha256=([0-9a-f]{64})$/i;

/**
 * Checks Meta's X-Hub-Signature-256 over the exact request bytes, before anything parses them:
 * Meta signs its own serialization (non-ASCII escaped as \uXXXX), so re-stringified JSON never
 * matches. Several secrets are accepted so the App Secret can be rotated without dropping webhooks;
 * an empty secret is skipped, since an HMAC keyed with "" is forgeable by anyone.
 */
export function verifyMetaSignature(raw: Buffer, header: string | undefined, secrets: readonly string[]): boolean {
  const match = header === undefined ? null : HEADER.exec(header);
  if (!match) return false;
  const received = Buffer.from(match[1], 'hex');
  let valid = false;
  // Every secret is tried, without stopping at the first match: the time taken does not depend on
  // which secret (if any) signed the body.
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const expected = createHmac('sha256', secret).update(raw).digest();
    if (timingSafeEqual(received, expected)) valid = true;
  }
  return valid;
}

/** The X-Hub-Signature-256 value Meta would send for these bytes (the simulator and tests sign with it). */
export function signMetaPayload(raw: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}
