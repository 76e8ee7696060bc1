import { normalizePhone } from './phone.js';

describe('normalizePhone', () => {
  it.each([
    ['338 4706151', '+393384706151'],
    ['320-4321474', '+393204321474'],
    ['+39 320 432 1474', '+393204321474'],
    ['0039 338 4706151', '+393384706151'],
    ['0433 487711', '+390433487711'],
    ['+41 79 123 45 67', '+41791234567'],
  ])('%s → %s', (input, e164) => {
    expect(normalizePhone(input)).toEqual({ ok: true, e164 });
  });

  it.each(['', '12345', 'chiamami', '+39 338 47O6151'])('refuses %j with a reason', (input) => {
    const res = normalizePhone(input);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.reason.length).toBeGreaterThan(5);
  });
});
