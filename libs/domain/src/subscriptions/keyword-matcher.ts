import type { KeywordRuleAction } from '#database';
import { compact, keywordTokens, sameName } from './keyword-text.js';

export interface KeywordRuleDef {
  id: string;
  action: KeywordRuleAction;
  phrases: readonly string[];
  /** Lists the rule targets when the citizen names none with a hashtag. */
  listIds: readonly string[];
}

export interface ListDef {
  id: string;
  slug: string;
  hashtag: string;
  name: string;
}

export interface ParsedFields {
  firstName: string | null;
  lastName: string | null;
  frazione: string | null;
}

export type KeywordMatch =
  | { kind: 'none' }
  /** STOP, ANNULLA, CANCELLAMI, DISISCRIVIMI: leave every list of the comune, whatever its own phrases. */
  | { kind: 'stop_all'; word: string }
  | { kind: 'status' }
  | { kind: 'help' }
  /** ACCETTO on its own, where no rule of the comune claims it: accepts the privacy policy in force. */
  | { kind: 'accept_policy' }
  | {
      kind: 'rule';
      rule: KeywordRuleDef;
      /** Lists named by hashtag (with or without the #); empty when none was named. */
      lists: ListDef[];
      unknownHashtags: string[];
      fields: ParsedFields;
    };

/** Opt-out words every comune honours, on their own (not inside a sentence: "stop al traffico" is not one). */
export const UNIVERSAL_STOP_WORDS = ['stop', 'annulla', 'cancellami', 'disiscrivimi'] as const;
const STATUS_WORDS = ['stato'];
const HELP_WORDS = ['aiuto', 'help', 'info'];
/** Every comune may ask its subscribers to accept a new privacy policy, so every comune understands the answer. */
const ACCEPT_WORDS = ['accetto'];
/** Words a citizen puts before a frazione ("frazione Casatico", "loc. Verzegnis"), not part of a name. */
const FRAZIONE_FILLERS = new Set(['frazione', 'fraz', 'fr', 'localita', 'loc', 'borgo', 'di', 'in', 'a']);

interface Word {
  raw: string;
  folded: string;
}

/** The message's words, each in its original spelling (for names) and folded (for matching). */
function words(text: string): Word[] {
  return text
    .split(/\s+/u)
    .map((w) => {
      const hashtag = /^[^\p{L}\p{N}#]*#/u.test(w);
      const raw = w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
      const core = keywordTokens(raw)[0] ?? '';
      return { raw: hashtag && raw ? `#${raw}` : raw, folded: hashtag && core ? `#${core.replace(/^#/, '')}` : core };
    })
    .filter((w) => w.folded.length > 0);
}

/**
 * Reads a citizen's message against a comune's keyword rules. The longest matching phrase wins
 * (`ATTIVA COMUNE AMICO` over `ATTIVA`); a phrase matches the start of the message word by word;
 * what follows is hashtags (lists, also written without the #) and, for sign-ups, the name and the frazione.
 */
export function matchKeyword(text: string, rules: readonly KeywordRuleDef[], lists: readonly ListDef[], frazioni: readonly string[]): KeywordMatch {
  const ws = words(text);
  if (ws.length === 0) return { kind: 'none' };
  const folded = ws.map((w) => w.folded);
  if (folded.length === 1) {
    const only = folded[0];
    if ((UNIVERSAL_STOP_WORDS as readonly string[]).includes(only)) return { kind: 'stop_all', word: only };
  }

  let best: { rule: KeywordRuleDef; length: number } | null = null;
  for (const rule of rules) {
    for (const phrase of rule.phrases) {
      const p = keywordTokens(phrase);
      if (p.length === 0 || p.length > folded.length) continue;
      if (p.every((t, i) => t === folded[i]) && (!best || p.length > best.length)) best = { rule, length: p.length };
    }
  }
  if (!best) {
    if (folded.length === 1 && STATUS_WORDS.includes(folded[0])) return { kind: 'status' };
    if (folded.length === 1 && HELP_WORDS.includes(folded[0])) return { kind: 'help' };
    if (folded.length === 1 && ACCEPT_WORDS.includes(folded[0])) return { kind: 'accept_policy' };
    return { kind: 'none' };
  }

  const rest = ws.slice(best.length);
  const named: ListDef[] = [];
  const unknownHashtags: string[] = [];
  const plain: Word[] = [];
  const listNamed = (word: string): ListDef | undefined => lists.find((l) => sameName(l.hashtag.replace(/^#/, ''), word) || sameName(l.slug, word));
  for (const w of rest) {
    const hashtag = w.folded.startsWith('#');
    // A list's hashtag written without the # ("ISCRIZIONE OFF EMERGENZE") still names that list: read
    // as a name, it would sign the citizen up to the default lists as "Emergenze", or take them off all.
    const list = listNamed(hashtag ? w.folded.slice(1) : w.folded);
    if (list) {
      if (!named.includes(list)) named.push(list);
    } else if (hashtag) unknownHashtags.push(w.raw);
    else plain.push(w);
  }
  const fields = best.rule.action === 'subscribe' ? parseFields(plain, frazioni) : { firstName: null, lastName: null, frazione: null };
  return { kind: 'rule', rule: best.rule, lists: named, unknownHashtags, fields };
}

/** How many words of a message are searched for a frazione. */
const MAX_SCANNED_WORDS = 40;
/** The longest first name or surname a subscriber can have (the column's check). */
export const MAX_NAME_LENGTH = 100;

/**
 * Name, surname and frazione from the words after a sign-up keyword: the frazione is the longest run
 * of words naming one of the comune's frazioni (tolerant of case and accents); the remaining words
 * are the first name (the first word) and the surname (the rest).
 */
export function parseFields(ws: readonly Word[], frazioni: readonly string[]): ParsedFields {
  let frazione: string | null = null;
  let remaining = [...ws];
  let bestSpan: { start: number; end: number; name: string } | null = null;
  // A frazione is a few words: spans longer than the longest name (in letters, the most words it
  // could be written in) cannot match, and only the first words of a long message are read. Every
  // span of a 4,000-character message took minutes of the worker's CPU.
  const byCompact = new Map(frazioni.map((f) => [compact(f), f]));
  const longest = Math.max(0, ...[...byCompact.keys()].map((k) => k.length));
  const scanned = Math.min(ws.length, MAX_SCANNED_WORDS);
  for (let start = 0; start < scanned && longest > 0; start++) {
    for (let end = Math.min(scanned, start + longest); end > start; end--) {
      const candidate = ws
        .slice(start, end)
        .map((w) => w.folded)
        .join(' ');
      const hit = byCompact.get(compact(candidate));
      if (hit && (!bestSpan || end - start > bestSpan.end - bestSpan.start)) bestSpan = { start, end, name: hit };
    }
  }
  if (bestSpan) {
    frazione = bestSpan.name;
    let from = bestSpan.start;
    while (from > 0 && FRAZIONE_FILLERS.has(ws[from - 1].folded)) from--;
    remaining = [...ws.slice(0, from), ...ws.slice(bestSpan.end)];
  }
  const names = remaining.filter((w) => /\p{L}/u.test(w.raw)).map((w) => titleCase(w.raw));
  // What the subscriber's record holds at most (a long message answering the name question).
  return {
    firstName: names[0]?.slice(0, MAX_NAME_LENGTH).trim() ?? null,
    lastName: names.length > 1 ? names.slice(1).join(' ').slice(0, MAX_NAME_LENGTH).trim() : null,
    frazione,
  };
}

/** Reads a reply that should be a frazione (the dialogue asked for it). */
export function matchFrazione(text: string, frazioni: readonly string[]): string | null {
  const parsed = parseFields(words(text), frazioni);
  return parsed.frazione;
}

/** Reads a reply that should be a name and surname (the dialogue asked for it). */
export function parseName(text: string): { firstName: string | null; lastName: string | null } {
  const { firstName, lastName } = parseFields(words(text), []);
  return { firstName, lastName };
}

function titleCase(word: string): string {
  return word
    .split(/([-'’])/u)
    .map((part) => (part.length > 0 && /\p{L}/u.test(part) ? part[0].toLocaleUpperCase('it') + part.slice(1).toLocaleLowerCase('it') : part))
    .join('');
}

/** True when two phrases would read the same to the matcher (duplicate keywords in a comune's rules). */
export function samePhrase(a: string, b: string): boolean {
  return keywordTokens(a).join(' ') === keywordTokens(b).join(' ');
}
