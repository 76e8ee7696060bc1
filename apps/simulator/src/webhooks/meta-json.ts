/**
 * Serialises a payload the way Meta does: compact JSON with every non-ASCII character escaped as
 * \uXXXX (lowercase hex, surrogate pairs for emoji). The signature covers these exact bytes, so a
 * receiver that re-serialises the parsed body computes a different HMAC, as with Meta.
 */
export function toMetaJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
