/**
 * How citizens' keywords are compared: case, accents, apostrophes standing for accents
 * (`PUBBLICAUTILITA'` = `PubblicaUtilità`), punctuation around words and extra spaces never
 * matter. Pure functions: no I/O, specs beside them.
 */

/** Letters with their accents removed, lower case; an apostrophe right after a vowel is an accent. */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/([aeiou])['’`´]/g, '$1')
    .replace(/[’`´]/g, "'");
}

/**
 * The words of a message for keyword matching: folded, split on whitespace, each word stripped of
 * the punctuation around it (a hashtag keeps its #). Empty words are dropped.
 */
export function keywordTokens(text: string): string[] {
  return foldText(text)
    .split(/\s+/u)
    .map((w) => {
      const hashtag = /^[^\p{L}\p{N}#]*#/u.test(w);
      const core = w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
      return core && hashtag ? `#${core}` : core;
    })
    .filter((w) => w.length > 0);
}

/** Compares two names (a frazione, a hashtag) as a citizen would: folded, spaces and punctuation ignored. */
export function sameName(a: string, b: string): boolean {
  return compact(a) === compact(b);
}

export function compact(s: string): string {
  return foldText(s).replace(/[^\p{L}\p{N}]+/gu, '');
}
