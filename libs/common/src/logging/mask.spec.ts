import { last4, maskPhone, maskPhonesInText, redactForLog, redactUrl } from './mask.js';

describe('masking for logs', () => {
  it('keeps only the country prefix and last three digits of a number', () => {
    expect(maskPhone('+393384706151')).toBe('+39*******151');
    expect(maskPhone('393384706151')).toBe('39*******151');
  });

  it('masks numbers inside free text but leaves ids and dates alone', () => {
    const text = 'sent to +393384706151 and 393204321474 at 2026-11-23, job 5f0c2a4e-8d1b-4c7a-9e2f-0a1b2c3d4e5f';
    const masked = maskPhonesInText(text);
    expect(masked).not.toContain('3384706151');
    expect(masked).not.toContain('3204321474');
    expect(masked).toContain('2026-11-23');
    expect(masked).toContain('5f0c2a4e-8d1b-4c7a-9e2f-0a1b2c3d4e5f');
  });

  // Digits in groups that add up to a phone's length are masked even when they were something else
  // ("sent 100 200 300"): a log line loses a figure rather than keep a citizen's number.
  it('masks numbers written with spaces, dots or dashes, and leaves dates, times, IP addresses and counts alone', () => {
    for (const [text, hidden] of [
      ['chiamare il +39 333 123 4567 entro sera', '123 4567'],
      ['segnalato da 333 1234567', '1234567'],
      ['ufficio 0433 12.34.56 o 0433-123456', '12.34.56'],
      ['numero 333-123-4567.', '123-4567'],
      ['from 0039 333 1234567', '1234567'],
    ]) {
      expect(maskPhonesInText(text)).not.toContain(hidden);
    }
    expect(maskPhonesInText('ufficio 0433 12.34.56 o 0433-123456')).toBe('ufficio 04*****456 o 04*****456');
    expect(maskPhonesInText('chiamare il +39 333 123 4567 entro sera')).toBe('chiamare il +39*******567 entro sera');
    for (const kept of [
      'at 2026-12-08 03:14:50 UTC',
      'il 31-12-2026 10:00',
      'on 08.12.2026 03 14',
      'from 203.0.113.10 port 443',
      'sent 100 of 5000, 42 failed',
      'job 12345678-1234-4234-8234-123456789012 done',
      'batch of 1,000,000 rows in 1234.5678 ms',
    ])
      expect(maskPhonesInText(kept)).toBe(kept);
  });

  it('redacts secrets, summarises bodies and masks phone fields, deeply', () => {
    const out = redactForLog({
      authorization: 'Bearer abc',
      nested: { accessToken: 'EAAG...', appSecret: 's', password: 'p' },
      from: '393384706151',
      text: 'Buongiorno, c’è una buca in via Roma',
      list: [{ wa_id: '393384706151' }],
      count: 3,
    }) as Record<string, unknown>;
    expect(out).toEqual({
      authorization: '[REDACTED]',
      nested: { accessToken: '[REDACTED]', appSecret: '[REDACTED]', password: '[REDACTED]' },
      from: '39*******151',
      text: '[36 chars]',
      list: [{ wa_id: '39*******151' }],
      count: 3,
    });
  });

  it('redacts secrets in query strings', () => {
    expect(redactUrl('/webhook?hub.mode=subscribe&hub.verify_token=abc&hub.challenge=1')).toBe(
      '/webhook?hub.mode=subscribe&hub.verify_token=[REDACTED]&hub.challenge=1',
    );
  });

  it('logs the values of known query parameters only: a search for a name, or any new parameter, is redacted', () => {
    expect(redactUrl('/api/v1/tenants/amaro/subscribers?q=Mario%20Rossi&status=active&limit=20')).toBe(
      '/api/v1/tenants/amaro/subscribers?q=[REDACTED]&status=active&limit=20',
    );
    expect(redactUrl('/x?consentDeclaration=firmato+da+Anna&listIds=a,b')).toBe('/x?consentDeclaration=[REDACTED]&listIds=a,b');
    expect(redactUrl('/_sim/messages?phoneNumberId=100000000000001&to=%2B393384706151')).toBe(
      '/_sim/messages?phoneNumberId=10**********001&to=+39*******151',
    );
  });

  it('shows at most the last four characters of a secret', () => {
    expect(last4('EAAGabcdefgh1234')).toBe('1234');
    expect(last4('abc')).toBe('');
  });
});
