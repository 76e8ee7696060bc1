import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

/**
 * Normalises a phone number to E.164. Italian habits are accepted: `338 4706151`, `320-4321474`,
 * `+39 ...` and `0039...`; a number without a country prefix is read as Italian.
 */
export function normalizePhone(input: string, defaultCountry: 'IT' = 'IT'): PhoneResult {
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, reason: 'the phone number is empty' };
  if (!/^[+\d][\d\s().\-/]*$/.test(trimmed)) {
    return { ok: false, reason: 'a phone number may contain only digits, spaces, dashes, dots and a leading +' };
  }
  const candidate = trimmed.startsWith('00') ? `+${trimmed.slice(2)}` : trimmed;
  const parsed = parsePhoneNumberFromString(candidate, defaultCountry);
  if (!parsed || !parsed.isValid()) {
    return { ok: false, reason: `"${maskPhoneLike(trimmed)}" is not a valid phone number` };
  }
  return { ok: true, e164: parsed.number };
}

function maskPhoneLike(value: string): string {
  const digits = value.replace(/\D/g, '');
  return digits.length <= 4 ? '****' : `${'*'.repeat(digits.length - 3)}${digits.slice(-3)}`;
}
