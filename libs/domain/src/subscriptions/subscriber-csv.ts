/**
 * Reading a comune's subscriber list from CSV, and writing cells of the export. Pure functions: the
 * import service does the I/O. Files come from spreadsheets saved by hand (Italian Excel saves `;`
 * separated, often in Windows-1252), so the format is guessed generously and every row is judged
 * on its own: a bad row is reported, never a reason to refuse the rest of the file.
 */
import { parse } from 'csv-parse/sync';
import { normalizePhone, ValidationError } from '#common';
import { compact, foldText } from './keyword-text.js';

export const CSV_FIELDS = ['phone', 'firstName', 'lastName', 'frazione', 'tags', 'consent'] as const;
export type CsvField = (typeof CSV_FIELDS)[number];

/** Header names as folded by {@link headerKey}: Italian and English, as lists exported by other tools name them. */
const HEADER_ALIASES: Record<CsvField, readonly string[]> = {
  phone: [
    'phone',
    'phone_number',
    'mobile',
    'telefono',
    'tel',
    'cellulare',
    'cell',
    'numero',
    'numero_telefono',
    'numero_di_telefono',
    'whatsapp',
    'numero_whatsapp',
  ],
  firstName: ['nome', 'first_name', 'firstname', 'given_name'],
  lastName: ['cognome', 'last_name', 'lastname', 'surname', 'family_name'],
  frazione: ['frazione', 'localita', 'hamlet'],
  tags: ['tags', 'tag', 'etichette', 'etichetta'],
  consent: ['consenso', 'consent', 'consent_evidence', 'evidenza_consenso', 'prova_consenso', 'consenso_evidenza'],
};

const FIELD_BY_HEADER = new Map<string, CsvField>(CSV_FIELDS.flatMap((f) => HEADER_ALIASES[f].map((h) => [h, f] as const)));

export const NAME_MAX_LENGTH = 100;
export const CONSENT_MAX_LENGTH = 500;
export const TAGS_MAX = 30;
const TAG_RE = /^[a-z0-9_]{1,50}$/;

/** One data row as read from the file; `row` is its line in the file (the header is line 1). */
export interface CsvRow {
  row: number;
  phone: string;
  firstName: string;
  lastName: string;
  frazione: string;
  tags: string;
  consent: string;
}

export interface ParsedCsv {
  /** The fields found in the header, in file order; other columns are ignored. */
  fields: CsvField[];
  /** Data rows that are not entirely blank. */
  rows: CsvRow[];
}

/** A row that may be imported. */
export interface ImportableRow {
  row: number;
  phoneE164: string;
  firstName: string | null;
  lastName: string | null;
  frazione: string | null;
  tags: string[];
  consent: string | null;
}

export type RowCheck = { ok: true; value: ImportableRow } | { ok: false; reason: string };

export interface RowRules {
  /** The comune's frazioni, as it spells them. */
  frazioni: readonly string[];
  /** An admin declared that every row consented: a row needs no evidence of its own. */
  declared: boolean;
  /** What the comune requires of a subscriber (name, surname, frazione); empty for none. */
  required?: readonly ('first_name' | 'last_name' | 'frazione')[];
}

const REQUIRED_LABEL = { first_name: 'first name (nome)', last_name: 'last name (cognome)', frazione: 'frazione' } as const;

/**
 * The file as text: UTF-8 (with or without a BOM), or, when the bytes are not valid UTF-8, Windows-1252,
 * which is what Excel's plain "CSV" format writes on an Italian Windows.
 */
export function decodeCsv(input: string | Uint8Array): string {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      text = decodeWindows1252(input);
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Windows-1252's characters at 0x80–0x9F (the rest is Latin-1); Node's own decoder reads that range as Latin-1 control codes. */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';

function decodeWindows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('latin1')
    .replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
}

/** The separator of the header line: `;` (Italian Excel), tab, or `,`, whichever occurs most outside quotes. */
export function detectDelimiter(text: string): ',' | ';' | '\t' {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++;
  }
  if (counts[';'] > counts[','] && counts[';'] >= counts['\t']) return ';';
  if (counts['\t'] > counts[',']) return '\t';
  return ',';
}

/** A header name folded for matching: case, accents, spaces and punctuation do not matter (`Località` → `localita`). */
export function headerKey(name: string): string {
  return foldText(name)
    .trim()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Which column holds which field; throws when the phone column is missing or a field is named twice. */
export function mapHeader(header: readonly string[]): Partial<Record<CsvField, number>> {
  const columns: Partial<Record<CsvField, number>> = {};
  header.forEach((name, index) => {
    const field = FIELD_BY_HEADER.get(headerKey(name));
    if (!field) return;
    if (columns[field] !== undefined) {
      throw new ValidationError(
        `the columns "${header[columns[field]]}" and "${name}" both hold ${field}: keep one`,
        { column: name },
        'CSV_DUPLICATE_COLUMN',
      );
    }
    columns[field] = index;
  });
  if (columns.phone === undefined) {
    throw new ValidationError(
      `the header row has no phone column (name it telefono, cellulare or phone); found: ${header.join(', ') || 'nothing'}`,
      { columns: header },
      'CSV_NO_PHONE_COLUMN',
    );
  }
  return columns;
}

/** Reads the file: header row first, then the data rows. Throws a ValidationError for a file that cannot be read at all. */
export function parseSubscriberCsv(text: string, maxRows: number): ParsedCsv {
  if (text.includes('\uFFFD')) {
    throw new ValidationError('the file contains characters that are not valid text: save it as "CSV UTF-8"', undefined, 'CSV_ENCODING');
  }
  if (text.trim() === '') throw new ValidationError('the file is empty: it needs a header row and at least one row', undefined, 'CSV_EMPTY');
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter: detectDelimiter(text),
      bom: true,
      info: true,
      relax_column_count: true,
      // A quote inside an unquoted cell (Mario "Il Rosso") is text, as spreadsheets read it.
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    const e = err as { message?: string; lines?: number };
    throw new ValidationError(
      `the file is not valid CSV: ${e.message ?? 'unreadable'}`,
      e.lines !== undefined ? { line: e.lines } : undefined,
      'CSV_MALFORMED',
    );
  }
  const [header, ...data] = records;
  if (!header) throw new ValidationError('the file is empty: it needs a header row and at least one row', undefined, 'CSV_EMPTY');
  const columns = mapHeader(header.record);
  if (data.length === 0) throw new ValidationError('the file has a header row but no rows to import', undefined, 'CSV_EMPTY');
  if (data.length > maxRows) {
    throw new ValidationError(
      `the file has ${data.length} rows; at most ${maxRows} may be imported at once: split it`,
      { rows: data.length, max: maxRows },
      'CSV_TOO_MANY_ROWS',
    );
  }
  const cell = (record: string[], field: CsvField): string => {
    const i = columns[field];
    return i === undefined ? '' : (record[i] ?? '');
  };
  return {
    fields: CSV_FIELDS.filter((f) => columns[f] !== undefined).sort((a, b) => columns[a]! - columns[b]!),
    rows: data.map(({ record, info }) => ({
      row: info.lines,
      phone: cell(record, 'phone'),
      firstName: cell(record, 'firstName'),
      lastName: cell(record, 'lastName'),
      frazione: cell(record, 'frazione'),
      tags: cell(record, 'tags'),
      consent: cell(record, 'consent'),
    })),
  };
}

/** Judges one row: every problem it has, so the admin can fix it in one go. */
export function checkRow(r: CsvRow, rules: RowRules): RowCheck {
  const problems: string[] = [];
  // Spreadsheet users type '+39... so the cell stays text; the apostrophe is not part of the number.
  const phone = normalizePhone(r.phone.replace(/^'/, ''));
  if (!phone.ok) problems.push(phone.reason);

  const firstName = name(r.firstName);
  const lastName = name(r.lastName);
  if (firstName && firstName.length > NAME_MAX_LENGTH) problems.push(`the first name is longer than ${NAME_MAX_LENGTH} characters`);
  if (lastName && lastName.length > NAME_MAX_LENGTH) problems.push(`the last name is longer than ${NAME_MAX_LENGTH} characters`);

  let frazione: string | null = null;
  const givenFrazione = r.frazione.trim();
  if (givenFrazione) {
    frazione = rules.frazioni.find((f) => compact(f) === compact(givenFrazione)) ?? null;
    if (!frazione) {
      problems.push(
        rules.frazioni.length > 0
          ? `"${givenFrazione}" is not one of the comune's frazioni (${rules.frazioni.join(', ')})`
          : `"${givenFrazione}" is not a frazione: the comune has listed none`,
      );
    }
  }

  const tags = [
    ...new Set(
      r.tags
        .toLowerCase()
        .split(/[|\s]+/u)
        .filter(Boolean),
    ),
  ];
  const badTags = tags.filter((t) => !TAG_RE.test(t));
  if (badTags.length > 0) problems.push(`tags must be letters, digits and underscores: ${badTags.join(', ')}`);
  if (tags.length > TAGS_MAX) problems.push(`at most ${TAGS_MAX} tags`);

  const consent = r.consent.trim() || null;
  if (consent && consent.length > CONSENT_MAX_LENGTH) problems.push(`the consent evidence is longer than ${CONSENT_MAX_LENGTH} characters`);
  if (!consent && !rules.declared) {
    problems.push('no consent evidence: fill the consenso column, or declare for the whole file that every row consented');
  }

  // The comune asks these of every citizen who signs up by keyword; an imported row must have them too.
  const have = { first_name: firstName, last_name: lastName, frazione: givenFrazione || null };
  const missing = (rules.required ?? []).filter((f) => !have[f]);
  if (missing.length > 0) problems.push(`missing what the comune requires: ${missing.map((f) => REQUIRED_LABEL[f]).join(', ')}`);

  if (problems.length > 0 || !phone.ok) return { ok: false, reason: problems.join('; ') };
  return { ok: true, value: { row: r.row, phoneE164: phone.e164, firstName, lastName, frazione, tags, consent } };
}

function name(value: string): string | null {
  const v = value.replace(/\s+/gu, ' ').trim();
  return v === '' ? null : v;
}

/**
 * A cell of the export that a spreadsheet must show as text: a value a citizen typed (a name) that
 * starts like a formula is prefixed with an apostrophe, so opening the export cannot run it.
 */
export function safeCell(value: string | null): string {
  if (value === null) return '';
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
