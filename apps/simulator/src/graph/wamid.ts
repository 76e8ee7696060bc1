import { randomBytes } from 'node:crypto';

/**
 * A new message id shaped like Meta's: `wamid.` and base64 of a small binary record that embeds
 * the citizen's number, followed by random bytes that make it unique.
 */
export function newWamid(waId: string, direction: 'inbound' | 'outbound'): string {
  // One buffer written in place: five small ones and a concat per message showed in the simulator's profile.
  const digits = Math.min(waId.length, 64);
  const record = Buffer.allocUnsafe(3 + digits + 6 + SUFFIX_HEX);
  record[0] = 0x1c;
  record[1] = 0x18;
  record[2] = digits;
  record.write(waId.slice(0, 64), 3, 'ascii');
  let at = 3 + digits;
  for (const byte of [0x15, 0x02, 0x00, direction === 'outbound' ? 0x11 : 0x12, 0x18, SUFFIX_HEX]) record[at++] = byte;
  record.write(randomSuffix().toString('hex').toUpperCase(), at, 'ascii');
  return `wamid.${record.toString('base64')}`;
}

/** Random bytes for ids, drawn from a pool refilled 512 ids at a time: one getrandom per message was 7 % of the simulator's CPU at 1,600 sends/s. */
const SUFFIX_BYTES = 10;
const SUFFIX_HEX = SUFFIX_BYTES * 2;
const POOL_BYTES = SUFFIX_BYTES * 512;
let pool = Buffer.alloc(0);
let offset = 0;

function randomSuffix(): Buffer {
  if (offset + SUFFIX_BYTES > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + SUFFIX_BYTES);
  offset += SUFFIX_BYTES;
  return bytes;
}
