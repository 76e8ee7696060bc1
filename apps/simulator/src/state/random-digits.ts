import { randomInt } from 'node:crypto';

/** A random numeric id of `length` digits not starting with 0, like Meta's object ids. */
export function randomDigits(length: number): string {
  let id = String(randomInt(1, 10));
  while (id.length < length) id += String(randomInt(0, 1_000_000)).padStart(6, '0');
  return id.slice(0, length);
}
