import { errors as undiciErrors } from 'undici';
import { ProviderError } from '../errors/provider-error.js';

/**
 * Errors raised before a single byte of the request could reach Meta: name resolution, refused or
 * unreachable connections, TLS certificate failures. Re-sending after one of these cannot duplicate.
 */
const CONNECT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  // A dispatcher closed by our own shutdown refuses new requests before connecting (a destroyed
  // one also aborts requests in flight, so UND_ERR_DESTROYED is deliberately not here).
  'UND_ERR_CLOSED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  // undici sometimes wraps the socket error (AggregateError for multi-address hosts, or `cause`).
  const queue: unknown[] = [err];
  for (let i = 0; i < queue.length && i < 10; i += 1) {
    const e = queue[i];
    if (typeof e !== 'object' || e === null) continue;
    const { code, cause, errors } = e as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') codes.push(code);
    if (cause !== undefined) queue.push(cause);
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
  return codes;
}

/**
 * Maps a transport failure (anything undici throws instead of giving a response) to a
 * ProviderError. Only errors known to happen before the request is written are `connect`; every
 * other failure (response or body timeout, socket closed or reset, our own abort, an error we do not
 * recognise) is `unknown_outcome`, because /messages has no idempotency key and guessing "not sent"
 * wrongly means a duplicate alert on a citizen's phone.
 */
export function transportError(err: unknown, what: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const codes = codesOf(err);
  const isConnect =
    err instanceof undiciErrors.ConnectTimeoutError ||
    err instanceof undiciErrors.ClientClosedError ||
    // OpenSSL's ERR_SSL_* codes come from the handshake (wrong version, alert, no shared cipher).
    codes.some((code) => CONNECT_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_CERT'));
  const reason = codes[0] ?? (err instanceof Error ? err.name : 'unknown error');
  if (isConnect) return new ProviderError({ kind: 'connect', message: `${what}: could not connect (${reason})`, cause: err });
  const timeout = err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError;
  return new ProviderError({
    kind: 'unknown_outcome',
    message: `${what}: ${timeout ? 'no response in time' : 'connection lost'} after the request was sent (${reason})`,
    cause: err,
  });
}
