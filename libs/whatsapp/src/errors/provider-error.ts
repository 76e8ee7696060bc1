/**
 * What went wrong talking to the provider. `kind` says how far the request got, which decides
 * whether re-sending is safe (docs/adr/0006-unknown-send-outcomes.md):
 * - `api`: the provider answered with an error body; `code` is Meta's error.code.
 * - `connect`: the request never left (DNS, refused, TLS, connect timeout): safe to retry.
 * - `unknown_outcome`: the request was written but no answer came (response timeout, reset
 *   after write): Meta may have accepted it; never re-send blindly.
 * - `http`: an answer without Meta's error shape (a proxy's 502 page, say).
 * - `invalid_response`: a 2xx we cannot read.
 * - `media`: a downloaded file failed its size or checksum check.
 */
export type ProviderErrorKind = 'api' | 'connect' | 'unknown_outcome' | 'http' | 'invalid_response' | 'media';

export interface ProviderErrorInit {
  kind: ProviderErrorKind;
  message: string;
  code?: number | null;
  httpStatus?: number | null;
  details?: string | null;
  fbtraceId?: string | null;
  cause?: unknown;
}

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  /** Meta's error.code, the only thing errors are classified on. */
  readonly code: number | null;
  readonly httpStatus: number | null;
  readonly details: string | null;
  readonly fbtraceId: string | null;

  constructor(init: ProviderErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ProviderError';
    this.kind = init.kind;
    this.code = init.code ?? null;
    this.httpStatus = init.httpStatus ?? null;
    this.details = init.details ?? null;
    this.fbtraceId = init.fbtraceId ?? null;
  }
}

/**
 * What the sender does about an error (the table in error-actions.ts maps every code to one):
 * - retry: transient; back off exponentially with jitter and try again.
 * - pace_number: the number is over its throughput; slow its pacer, then retry.
 * - pace_recipient: pair rate limit to this one recipient; retry after 4^n s.
 * - template: the 24 h window is closed; only a template may go.
 * - recipient_permanent: this recipient cannot be reached; stop, flag them.
 * - marketing_opt_out: the recipient stopped marketing messages: permanent for marketing only.
 * - hold_recipient: per-user marketing cap; do not retry this recipient for 24 h.
 * - skip: dropped by Meta (experiment hold-back); not the recipient's fault, not retried.
 * - pause_number: account, token or template problem; pause the number and alert operators.
 * - bug: our request is wrong; fail loudly, never retry.
 */
export const ERROR_ACTIONS = [
  'retry',
  'pace_number',
  'pace_recipient',
  'template',
  'recipient_permanent',
  'marketing_opt_out',
  'hold_recipient',
  'skip',
  'pause_number',
  'bug',
] as const;
export type ErrorAction = (typeof ERROR_ACTIONS)[number];
