import {
  ERROR_CODE_ACTIONS,
  MAX_SEND_ATTEMPTS,
  MAX_TRANSIENT_ATTEMPTS,
  TRANSIENT_RETRY_BUDGET_MS,
  classifyErrorCode,
  classifyProviderError,
  findErrorCodeRule,
  maxSendAttempts,
  retryDelayMs,
  type SendFailureAction,
} from './error-actions.js';
import { ProviderError, type ErrorAction, type ProviderErrorInit } from './provider-error.js';

/**
 * Written out by hand from the product rule, not derived from the table: if a row of the table
 * changes, a row here must change with it.
 */
const EXPECTED: [code: number, action: ErrorAction][] = [
  [1, 'retry'],
  [2, 'retry'],
  [131000, 'retry'],
  [131016, 'retry'],
  [133004, 'retry'],
  [131057, 'retry'],
  [2494100, 'retry'],
  [130429, 'pace_number'],
  [4, 'pace_number'],
  [80007, 'pace_number'],
  [131056, 'pace_recipient'],
  [131047, 'template'],
  [131026, 'recipient_permanent'],
  [130403, 'recipient_permanent'],
  [131050, 'marketing_opt_out'],
  [131049, 'hold_recipient'],
  [130472, 'skip'],
  [0, 'pause_number'],
  [190, 'pause_number'],
  [3, 'pause_number'],
  [10, 'pause_number'],
  [131005, 'pause_number'],
  [131031, 'pause_number'],
  [368, 'pause_number'],
  [131048, 'pause_number'],
  [130497, 'pause_number'],
  [131042, 'pause_number'],
  [131045, 'pause_number'],
  [133010, 'pause_number'],
  [133000, 'pause_number'],
  [133006, 'pause_number'],
  [33, 'pause_number'],
  [131037, 'pause_number'],
  [131063, 'pause_number'],
  [131064, 'pause_number'],
  [131030, 'pause_number'],
  [132001, 'pause_number'],
  [132007, 'pause_number'],
  [132015, 'pause_number'],
  [132016, 'pause_number'],
  [2388019, 'pause_number'],
  [100, 'bug'],
  [131008, 'bug'],
  [131009, 'bug'],
  [135000, 'bug'],
  [131021, 'bug'],
  [132000, 'bug'],
  [132005, 'bug'],
  [132012, 'bug'],
  [132018, 'bug'],
  [131051, 'bug'],
  [131053, 'bug'],
];

const apiError = (code: number | null, httpStatus: number | null = 400) =>
  new ProviderError({ kind: 'api', message: 'meta error', code, httpStatus });
const err = (init: Omit<ProviderErrorInit, 'message'>) => new ProviderError({ message: 'x', ...init });

describe('ERROR_CODE_ACTIONS', () => {
  it.each(EXPECTED)('maps %i to %s', (code, action) => {
    expect(classifyErrorCode(code)).toBe(action);
    const rule = findErrorCodeRule(code);
    expect(rule).toBeDefined();
    expect(rule!.action).toBe(action);
    expect(rule!.meaning.length).toBeGreaterThan(0);
  });

  it('maps the whole 200-299 permission range to pause_number, and nothing just outside it', () => {
    for (const code of [200, 201, 250, 299]) expect(classifyErrorCode(code)).toBe('pause_number');
    expect(findErrorCodeRule(199)).toBeUndefined();
    expect(findErrorCodeRule(300)).toBeUndefined();
  });

  it('has no row that this spec does not list, and no code in two rows', () => {
    const listed = new Set(EXPECTED.map(([code]) => code));
    const seen = new Set<number>();
    let ranges = 0;
    for (const rule of ERROR_CODE_ACTIONS) {
      if ('from' in rule.match) {
        ranges += 1;
        expect(rule.match).toEqual({ from: 200, to: 299 });
        continue;
      }
      for (const code of rule.match) {
        expect(listed.has(code)).toBe(true);
        expect(seen.has(code)).toBe(false);
        seen.add(code);
      }
    }
    expect(ranges).toBe(1);
    expect(seen.size).toBe(EXPECTED.length);
  });

  it('classifies an unknown code as a bug, so it fails loudly instead of retrying', () => {
    expect(classifyErrorCode(999_999)).toBe('bug');
    expect(classifyErrorCode(131062)).toBe('bug');
  });
});

describe('classifyProviderError', () => {
  const cases: [string, ProviderError, SendFailureAction][] = [
    ['connect', err({ kind: 'connect' }), 'retry'],
    ['unknown_outcome', err({ kind: 'unknown_outcome' }), 'unknown_outcome'],
    ['invalid_response (Meta may have accepted)', err({ kind: 'invalid_response', httpStatus: 200 }), 'unknown_outcome'],
    ['http 502', err({ kind: 'http', httpStatus: 502 }), 'retry'],
    ['http 503', err({ kind: 'http', httpStatus: 503 }), 'retry'],
    ['http 429', err({ kind: 'http', httpStatus: 429 }), 'retry'],
    ['http 404', err({ kind: 'http', httpStatus: 404 }), 'bug'],
    ['http 400', err({ kind: 'http', httpStatus: 400 }), 'bug'],
    ['api with a known code', apiError(131047), 'template'],
    ['api 130429', apiError(130429, 400), 'pace_number'],
    ['api 131000 on a 500', apiError(131000, 500), 'retry'],
    ['api 190 on a 401', apiError(190, 401), 'pause_number'],
    ['api without a code', apiError(null, 400), 'bug'],
    ['api without a code on a 503', apiError(null, 503), 'retry'],
    ['api with an unknown code on a 500', apiError(987_654, 500), 'retry'],
    ['api with an unknown code on a 400', apiError(987_654, 400), 'bug'],
    ['api with a known bug code on a 500', apiError(100, 500), 'bug'],
    ['media', err({ kind: 'media' }), 'bug'],
  ];

  it.each(cases)('%s', (_name, error, expected) => {
    expect(classifyProviderError(error)).toBe(expected);
  });
});

describe('retryDelayMs', () => {
  const low = () => 0;
  const high = () => 0.999999;

  it('backs off exponentially (2^n s) with jitter, capped at 5 minutes', () => {
    expect(retryDelayMs('retry', 1, { random: low })).toBe(1000);
    expect(retryDelayMs('retry', 1, { random: high })).toBe(2000);
    expect(retryDelayMs('retry', 3, { random: low })).toBe(4000);
    expect(retryDelayMs('retry', 3, { random: high })).toBe(8000);
    expect(retryDelayMs('retry', 20, { random: high })).toBe(300_000);
    expect(retryDelayMs('retry', 20, { random: low })).toBe(150_000);
  });

  it('waits at least 30 s for a number in maintenance', () => {
    expect(retryDelayMs('retry', 1, { code: 131057, random: low })).toBe(30_000);
    expect(retryDelayMs('retry', 1, { code: 2494100, random: high })).toBe(60_000);
  });

  it('paces the number 1–2 s on throughput (Meta: 1–5 s), minutes on Graph call-rate limits', () => {
    expect(retryDelayMs('pace_number', 1, { random: low })).toBe(1000);
    expect(retryDelayMs('pace_number', 4, { random: high })).toBe(1200);
    expect(retryDelayMs('pace_number', 1, { code: 80007, random: low })).toBe(60_000);
    expect(retryDelayMs('pace_number', 1, { code: 4, random: high })).toBe(300_000);
  });

  it('paces one recipient 4^n s as Meta documents (1, 4, 16, 64 s)', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs('pace_recipient', n))).toEqual([1000, 4000, 16_000, 64_000]);
  });

  it('holds a recipient for 24 h', () => {
    expect(retryDelayMs('hold_recipient', 1)).toBe(86_400_000);
  });

  it.each<ErrorAction>(['template', 'recipient_permanent', 'marketing_opt_out', 'skip', 'pause_number', 'bug'])('never retries %s', (action) => {
    expect(retryDelayMs(action, 1)).toBeNull();
  });

  it('bounds a send to five attempts when the message itself fails (one recipient paced, an unknown outcome sent again)', () => {
    expect(MAX_SEND_ATTEMPTS).toBe(5);
    expect(maxSendAttempts('pace_recipient')).toBe(5);
  });

  /** The waits between a send's attempts when every one fails transiently, at the given end of the jitter. */
  const outage = (random: () => number): number[] =>
    Array.from({ length: maxSendAttempts('retry') - 1 }, (_, i) => retryDelayMs('retry', i + 1, { random })!);
  const total = (waits: number[]): number => waits.reduce((a, b) => a + b, 0);

  it('keeps a send failing transiently (Meta or the network down) going for half an hour at least, about an hour at most', () => {
    expect(TRANSIENT_RETRY_BUDGET_MS).toBe(30 * 60_000);
    expect(maxSendAttempts('retry')).toBe(MAX_TRANSIENT_ATTEMPTS);
    expect(MAX_TRANSIENT_ATTEMPTS).toBe(20);
    // Five attempts used to span 15-30 s: a half-minute outage failed every message due in it.
    expect(total(outage(low))).toBeGreaterThanOrEqual(30 * 60_000);
    expect(total(outage(low)) - outage(low).at(-1)!).toBeLessThan(30 * 60_000);
    expect(total(outage(high))).toBe(2 * total(outage(low)));
    expect(total(outage(high))).toBeLessThanOrEqual(65 * 60_000);
  });

  it('asks again within seconds after a blip and every few minutes during an outage, never more than five minutes apart', () => {
    expect(outage(low).slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    expect(Math.max(...outage(high))).toBeLessThanOrEqual(300_000);
    expect(outage(low).slice(-11)).toEqual(Array(11).fill(150_000));
    // The first attempt after a 30 s outage comes within the minute, whatever the jitter.
    for (const waits of [outage(low), outage(high)]) {
      const sums = waits.map((_, i) => total(waits.slice(0, i + 1)));
      expect(sums.find((at) => at >= 30_000)).toBeLessThanOrEqual(60_000);
    }
  });
});
