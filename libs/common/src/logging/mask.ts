/**
 * Masking for logs. Citizens' phone numbers and message bodies are personal data of a public body
 * (GDPR), and tokens are credentials: none of them may reach a log line unmasked.
 */

const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|credential|encryption/i;
const PHONE_KEY = /phone|msisdn|wa_?id|^from$|^to$|recipient|e164|display_?number/i;
const BODY_KEY = /^(body|text|caption|content|message_?body)$/i;
/**
 * A phone number in free text: a run of 9 to 15 digits, optionally after + (E.164 numbers, WhatsApp
 * ids), or digits in groups split by single spaces, dots or dashes, as people write them
 * (`+39 333 123 4567`, `0433 12.34.56`, `333-1234567`), 9 to 15 digits in all (checked by
 * {@link maskPhonesInText}, which also leaves dates and IPv4 addresses alone). Not uuids: a run
 * touching a letter or a dash-and-letter is left alone.
 */
const PHONE_IN_TEXT = /(?<![\w+.-])(?:\+?\d{9,15}|(?:\+|00)?\d{1,4}(?:[ .-]\d{2,8}){1,5})(?![\w-]|[.-]\d)/g;
/** Year-month-day or day-month-year at the start of a match: a date (and its time), not a phone. */
const DATE_LIKE = /^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}(?!\d)/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** `+393384706151` → `+39*******151`: keeps the country prefix and the last three digits. */
export function maskPhone(value: string): string {
  const plus = value.startsWith('+') ? '+' : '';
  const digits = value.replace(/\D/g, '');
  if (digits.length <= 5) return `${plus}${'*'.repeat(digits.length)}`;
  return `${plus}${digits.slice(0, 2)}${'*'.repeat(digits.length - 5)}${digits.slice(-3)}`;
}

/** Keeps at most the last four characters of a secret, the most an API response may show. */
export function last4(secret: string): string {
  return secret.length <= 4 ? '' : secret.slice(-4);
}

export function maskPhonesInText(text: string): string {
  return text.replace(PHONE_IN_TEXT, (m) => {
    const digits = m.replace(/\D/g, '').length;
    if (digits < 9 || digits > 15 || DATE_LIKE.test(m) || IPV4.test(m)) return m;
    return maskPhone(m);
  });
}

/** Returns a copy of a log payload with secrets removed, phone numbers masked and bodies summarised. */
export function redactForLog(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[depth]';
  if (typeof value === 'string') return maskPhonesInText(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { type: value.name, message: maskPhonesInText(value.message), stack: value.stack && maskPhonesInText(value.stack) };
  }
  if (Array.isArray(value)) return value.map((v) => redactForLog(v, depth + 1));
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_KEY.test(key)) out[key] = '[REDACTED]';
    else if (BODY_KEY.test(key) && typeof v === 'string') out[key] = `[${v.length} chars]`;
    else if (PHONE_KEY.test(key) && (typeof v === 'string' || typeof v === 'number')) out[key] = maskPhone(String(v));
    else out[key] = redactForLog(v, depth + 1);
  }
  return out;
}

/**
 * A URL as it may be logged: the values of query parameters not known to be harmless are redacted
 * (secrets such as hub.verify_token, a search for a name), and phone numbers are masked.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return maskPhonesInText(url);
  const query = url.slice(q + 1).replace(QUERY_PARAM, (_whole, lead: string, name: string, value: string) => {
    // Decoded, so that a number written %2B39... is masked like +39...
    return LOGGED_QUERY_PARAMS.has(safeDecode(name)) ? `${lead}${name}=${maskPhonesInText(safeDecode(value))}` : `${lead}${name}=[REDACTED]`;
  });
  return `${maskPhonesInText(url.slice(0, q))}?${query}`;
}

/**
 * Query parameters whose values are ids, states, dates or pages, and may be logged; any other
 * parameter's value is redacted: a subscriber search (`q=Mario Rossi`), a declaration's text, and
 * whatever a new route adds before anyone thinks of its logs. Phone numbers in kept values (a
 * simulator's `to`, a `waId`) are masked like any other text.
 */
const LOGGED_QUERY_PARAMS: ReadonlySet<string> = new Set([
  'limit',
  'offset',
  'page',
  'status',
  'open',
  'kind',
  'category',
  'urgent',
  'numberId',
  'listId',
  'listIds',
  'contactId',
  'assigneeId',
  'frazione',
  'from',
  'to',
  'since',
  'phoneNumberId',
  'waId',
  'hub.mode',
  'hub.challenge',
]);
const QUERY_PARAM = /(^|&)([^=&#]+)=([^&#]*)/g;

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
