import { randomBytes } from 'node:crypto';

/**
 * A new message id shaped like Meta's: `wamid.` and base64 of a small binary record that embeds
 * the citizen's number, followed by random bytes that make it unique.
 */
export function newWamid(waId: string, direction: 'inbound' | 'outbound'): string {
  const digits = Buffer.from(waId.slice(0, 64), 'ascii');
  const suffix = Buffer.from(randomBytes(10).toString('hex').toUpperCase(), 'ascii');
  const record = Buffer.concat([
    Buffer.from([0x1c, 0x18, digits.length]),
    digits,
    Buffer.from([0x15, 0x02, 0x00, direction === 'outbound' ? 0x11 : 0x12, 0x18, suffix.length]),
    suffix,
  ]);
  return `wamid.${record.toString('base64')}`;
}
