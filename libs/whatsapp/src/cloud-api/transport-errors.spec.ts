import { errors } from 'undici';
import { ProviderError } from '../errors/provider-error.js';
import { transportError } from './transport-errors.js';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('transportError', () => {
  it.each<[string, unknown]>([
    ['undici ConnectTimeoutError', new errors.ConnectTimeoutError()],
    ['ECONNREFUSED', withCode('ECONNREFUSED')],
    ['ENOTFOUND', withCode('ENOTFOUND')],
    ['EAI_AGAIN', withCode('EAI_AGAIN')],
    ['an expired certificate', withCode('CERT_HAS_EXPIRED')],
    ['a self-signed certificate', withCode('DEPTH_ZERO_SELF_SIGNED_CERT')],
    ['a host name mismatch', withCode('ERR_TLS_CERT_ALTNAME_INVALID')],
    ['a TLS handshake alert', withCode('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION')],
    ['a refused connection on every address', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
    ['a wrapped refusal', new Error('fetch failed', { cause: withCode('ECONNREFUSED') })],
    ['a closed dispatcher', new errors.ClientClosedError()],
  ])('%s → connect (nothing was sent)', (_name, err) => {
    const mapped = transportError(err, 'send');
    expect(mapped).toBeInstanceOf(ProviderError);
    expect(mapped.kind).toBe('connect');
    expect(mapped.cause).toBe(err);
  });

  it.each<[string, unknown]>([
    ['HeadersTimeoutError', new errors.HeadersTimeoutError()],
    ['BodyTimeoutError', new errors.BodyTimeoutError()],
    ['SocketError (other side closed)', new errors.SocketError('other side closed')],
    ['ECONNRESET', withCode('ECONNRESET')],
    ['EPIPE', withCode('EPIPE')],
    ['our own abort', new errors.RequestAbortedError()],
    ['a destroyed dispatcher (aborts requests in flight)', new errors.ClientDestroyedError()],
    ['something unrecognised', new Error('weird')],
    ['a non-error', 'boom'],
  ])('%s → unknown_outcome (Meta may have it)', (_name, err) => {
    expect(transportError(err, 'send').kind).toBe('unknown_outcome');
  });

  it('passes a ProviderError through', () => {
    const err = new ProviderError({ kind: 'media', message: 'checksum mismatch' });
    expect(transportError(err, 'send')).toBe(err);
  });
});
