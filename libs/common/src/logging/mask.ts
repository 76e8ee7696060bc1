/**
 * Masking for logs. Citizens' phone numbers and message bodies are personal data of a public body
 * (GDPR), and tokens are credentials: none of them may reach a log line unmasked.
 */

const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|credential|encryption/i;
const PHONE_KEY = /phone|msisdn|wa_?id|^from$|^to$|recipient|e164|display_?number/i;
const BODY_KEY = /^(body|text|caption|content|message_?body)$/i;
/** A run of 9 to 15 digits, optionally after +: E.164 numbers and WhatsApp ids, not uuids or dates. */
const PHONE_IN_TEXT = /(?<![\w-])\+?\d{9,15}(?![\w-])/g;

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
  return text.replace(PHONE_IN_TEXT, (m) => maskPhone(m));
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

const SECRET_QUERY = /([?&](?:hub\.verify_token|access_token|token|secret|password)=)[^&#]*/gi;

/** Masks secrets carried in a URL's query string and any phone number in its path. */
export function redactUrl(url: string): string {
  return maskPhonesInText(url.replace(SECRET_QUERY, '$1[REDACTED]'));
}
