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
