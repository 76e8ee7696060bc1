import { createHash } from 'node:crypto';
import { Blob } from 'node:buffer';
import { type Logger, redactUrl } from '#common';
import { Agent, FormData, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { ProviderError } from '../errors/provider-error.js';
import {
  type DownloadedMedia,
  type MediaInfo,
  type ProviderTemplate,
  type SendAccepted,
  type SendRequest,
  type SenderCredentials,
  type WhatsAppProvider,
} from '../provider/whatsapp-provider.types.js';
import { buildSendBody } from './message-body.js';
import { transportError } from './transport-errors.js';

export interface CloudApiAdapterOptions {
  /** Graph API origin: https://graph.facebook.com, or the simulator's URL. */
  baseUrl: string;
  /** Pinned Graph version, e.g. "v25.0": field semantics change between versions. */
  apiVersion: string;
  connectTimeoutMs: number;
  /** Longest wait for the response headers, and between two chunks of a response body. */
  requestTimeoutMs: number;
  /** Cap on a JSON response body (not on media downloads, which take their own cap). Default 4 MiB. */
  maxBodyBytes?: number;
  /** Template list pages followed at most (100 templates each; a WABA holds at most 250). Default 50. */
  maxTemplatePages?: number;
  /** Keep-alive connections to the origin at most; further requests wait for one. Default 256. */
  maxConnections?: number;
  logger?: Pick<Logger, 'debug' | 'warn'>;
}

const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_TEMPLATE_PAGES = 50;
const DEFAULT_MAX_CONNECTIONS = 256;
const TEMPLATE_FIELDS = 'name,language,status,category,components,id';

const sendResponse = z.looseObject({
  messages: z.array(z.looseObject({ id: z.string().min(1), message_status: z.string().optional() })).min(1),
  contacts: z.array(z.looseObject({ input: z.string().optional(), wa_id: z.string().optional(), user_id: z.string().optional() })).optional(),
});
const successResponse = z.looseObject({ success: z.literal(true) });
const uploadResponse = z.looseObject({ id: z.union([z.string().min(1), z.number()]).transform(String) });
const mediaInfoResponse = z.looseObject({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  url: z.string().min(1),
  mime_type: z.string().min(1),
  sha256: z.string().min(1),
  file_size: z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number),
});
const templatePage = z.looseObject({
  data: z.array(z.unknown()),
  paging: z
    .looseObject({
      cursors: z.looseObject({ after: z.string().optional() }).optional(),
      next: z.string().optional(),
    })
    .optional(),
});
const templateItem = z.looseObject({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  name: z.string().min(1),
  language: z.string().min(1),
  status: z.string(),
  category: z.string(),
  components: z.array(z.unknown()).default([]),
});
const metaError = z.looseObject({
  error: z.looseObject({
    code: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
    message: z.string().optional(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
    fbtrace_id: z.string().optional(),
  }),
});

type Body = { json: unknown } | { form: FormData };
type ResponseBody = Dispatcher.ResponseData['body'];

/**
 * The WhatsApp port over Meta's Graph API (or the simulator, which speaks the same HTTP). One
 * keep-alive dispatcher per adapter, one bearer token per call (each number has its own).
 *
 * Nothing is retried here: /messages has no idempotency key, so whether to send again is decided
 * by the caller from the ProviderError's kind and code (error-actions.ts), never by the HTTP client.
 * Tokens, message bodies and media bytes are never logged.
 */
export class CloudApiAdapter implements WhatsAppProvider {
  private readonly dispatcher: Agent;
  /** Graph's origin and the path every call starts with (the base URL's own path, then the version). */
  private readonly origin: string;
  private readonly basePath: string;
  private readonly maxBodyBytes: number;
  private readonly maxTemplatePages: number;
  private readonly logger?: Pick<Logger, 'debug' | 'warn'>;

  constructor(options: CloudApiAdapterOptions) {
    if (!URL.canParse(options.baseUrl)) throw new Error('CloudApiAdapter: baseUrl must be an absolute URL');
    if (!/^v\d+\.\d+$/.test(options.apiVersion)) throw new Error('CloudApiAdapter: apiVersion must look like v25.0');
    const base = new URL(options.baseUrl);
    this.origin = base.origin;
    this.basePath = `${base.pathname.replace(/\/+$/, '')}/${options.apiVersion}`;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxTemplatePages = options.maxTemplatePages ?? DEFAULT_MAX_TEMPLATE_PAGES;
    this.logger = options.logger;
    // A plain Agent: no retry interceptor, so a request is written at most once.
    this.dispatcher = new Agent({
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.requestTimeoutMs,
      keepAliveTimeout: 30_000,
      // Bounded: requests beyond it wait for a free keep-alive connection instead of opening one
      // each (a burst of batches otherwise opened thousands of sockets).
      connections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    });
  }

  async send(req: SendRequest): Promise<SendAccepted> {
    const body = buildSendBody(req);
    const { status, json } = await this.call('send', 'POST', this.path([req.from.phoneNumberId, 'messages']), req.from.accessToken, { json: body });
    const parsed = sendResponse.safeParse(json);
    // Meta may well have accepted a message whose answer we cannot read: never treat this as "not sent".
    if (!parsed.success) throw invalidResponse('send', status, 'no messages[0].id in the response');
    const contact = parsed.data.contacts?.[0];
    return {
      providerMessageId: parsed.data.messages[0].id,
      waId: contact?.wa_id || null,
      input: contact?.input || null,
      messageStatus: parsed.data.messages[0].message_status ?? null,
    };
  }

  async markRead(from: SenderCredentials, providerMessageId: string, typingIndicator = false): Promise<void> {
    const body = {
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: providerMessageId,
      ...(typingIndicator ? { typing_indicator: { type: 'text' } } : {}),
    };
    const { status, json } = await this.call('markRead', 'POST', this.path([from.phoneNumberId, 'messages']), from.accessToken, { json: body });
    if (!successResponse.safeParse(json).success) throw invalidResponse('markRead', status, 'no success: true in the response');
  }

  async uploadMedia(from: SenderCredentials, file: { bytes: Buffer; mimeType: string; filename: string }): Promise<{ mediaId: string }> {
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('type', file.mimeType);
    form.append('file', new Blob([file.bytes], { type: file.mimeType }), file.filename);
    const { status, json } = await this.call('uploadMedia', 'POST', this.path([from.phoneNumberId, 'media']), from.accessToken, { form });
    const parsed = uploadResponse.safeParse(json);
    if (!parsed.success) throw invalidResponse('uploadMedia', status, 'no id in the response');
    return { mediaId: parsed.data.id };
  }

  async getMediaInfo(from: SenderCredentials, mediaId: string): Promise<MediaInfo> {
    const { status, json } = await this.call('getMediaInfo', 'GET', this.path([mediaId], { phone_number_id: from.phoneNumberId }), from.accessToken);
    const parsed = mediaInfoResponse.safeParse(json);
    if (!parsed.success) throw invalidResponse('getMediaInfo', status, 'missing url, mime_type, sha256 or file_size');
    const info = parsed.data;
    return { id: info.id, url: info.url, mimeType: info.mime_type, sha256: info.sha256, fileSize: info.file_size };
  }

  async downloadMedia(from: SenderCredentials, mediaId: string, maxBytes: number): Promise<DownloadedMedia> {
    const info = await this.getMediaInfo(from, mediaId);
    if (info.fileSize > maxBytes) throw mediaError(`file is ${info.fileSize} bytes, over the ${maxBytes}-byte limit`);
    const expected = decodeSha256(info.sha256);
    if (!expected) throw mediaError('checksum unreadable', 'sha256 is neither 64 hex digits nor a base64 digest');
    if (!/^https?:\/\//i.test(info.url) || !URL.canParse(info.url)) throw invalidResponse('getMediaInfo', 200, 'media url is not an http(s) URL');

    // The media URL needs the same bearer token as the Graph call (Meta answers 404 without it).
    const started = Date.now();
    const url = new URL(info.url);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { dispatcher: this.dispatcher, method: 'GET', headers: { authorization: `Bearer ${from.accessToken}` } });
    } catch (err) {
      throw this.failed('downloadMedia', 'GET', url.pathname, started, transportError(err, 'downloadMedia'));
    }
    if (res.statusCode < 200 || res.statusCode > 299) {
      const raw = await this.readBody('downloadMedia', 'GET', url.pathname, started, res.body, this.maxBodyBytes);
      throw this.failed('downloadMedia', 'GET', url.pathname, started, errorFromResponse('downloadMedia', res.statusCode, raw));
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.body.destroy();
      throw mediaError(`file is ${declared} bytes, over the ${maxBytes}-byte limit`);
    }

    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        total += buf.length;
        // Stop reading as soon as the cap is passed: Meta's file_size is not a promise.
        if (total > maxBytes) {
          res.body.destroy();
          throw mediaError(`file is over the ${maxBytes}-byte limit`);
        }
        hash.update(buf);
        chunks.push(buf);
      }
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      throw this.failed('downloadMedia', 'GET', url.pathname, started, transportError(err, 'downloadMedia'));
    }
    const digest = hash.digest();
    if (!digest.equals(expected)) throw mediaError('checksum mismatch', `expected ${expected.toString('hex')}, got ${digest.toString('hex')}`);
    this.logger?.debug({ op: 'downloadMedia', status: res.statusCode, bytes: total, ms: Date.now() - started }, 'whatsapp media downloaded');
    return { bytes: Buffer.concat(chunks, total), mimeType: info.mimeType, sha256Hex: digest.toString('hex') };
  }

  async listTemplates(from: SenderCredentials, wabaId: string): Promise<ProviderTemplate[]> {
    const templates: ProviderTemplate[] = [];
    const seenCursors = new Set<string>();
    let skipped = 0;
    let after: string | null = null;
    for (let page = 0; page < this.maxTemplatePages; page += 1) {
      const query: Record<string, string> = { fields: TEMPLATE_FIELDS, limit: '100' };
      if (after !== null) query.after = after;
      const { status, json } = await this.call('listTemplates', 'GET', this.path([wabaId, 'message_templates'], query), from.accessToken);
      const parsed = templatePage.safeParse(json);
      if (!parsed.success) throw invalidResponse('listTemplates', status, 'no data[] in the response');
      for (const item of parsed.data.data) {
        const t = templateItem.safeParse(item);
        if (t.success) templates.push(t.data);
        else skipped += 1;
      }
      const paging = parsed.data.paging;
      if (!paging?.next) {
        if (skipped > 0)
          this.logger?.warn({ op: 'listTemplates', skipped }, 'whatsapp templates without id, name, language, status or category were skipped');
        return templates;
      }
      // The cursor, not the `next` URL itself, is followed: the token must only ever go to our own baseUrl.
      after = paging.cursors?.after ?? cursorFrom(paging.next);
      if (after === null) throw invalidResponse('listTemplates', status, 'paging.next without an after cursor');
      if (seenCursors.has(after)) throw invalidResponse('listTemplates', status, 'paging cursor repeats');
      seenCursors.add(after);
    }
    // A partial list would make a template sync believe the rest were deleted.
    throw invalidResponse('listTemplates', 200, `more than ${this.maxTemplatePages} pages of templates`);
  }

  /** Closes the keep-alive connections; requests in flight finish first. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** A Graph path under the base URL, its segments encoded, with the query if any. */
  private path(segments: readonly string[], query?: Record<string, string>): string {
    const path = `${this.basePath}/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
    return query ? `${path}?${new URLSearchParams(query).toString()}` : path;
  }

  /** One Graph call: the response JSON of a 2xx, or a ProviderError saying how far the request got. */
  private async call(what: string, method: 'GET' | 'POST', path: string, token: string, body?: Body): Promise<{ status: number; json: unknown }> {
    const started = Date.now();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    let payload: string | FormData | undefined;
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      payload = body.form;
    }
    const pathname = path.split('?', 1)[0];
    let answer: { status: number; raw: Buffer | null };
    try {
      answer = await this.exchange(method, path, headers, payload, this.maxBodyBytes);
    } catch (err) {
      throw this.failed(what, method, pathname, started, transportError(err, what));
    }
    const { status, raw } = answer;
    if (status < 200 || status > 299) throw this.failed(what, method, pathname, started, errorFromResponse(what, status, raw));
    if (raw === null) throw this.failed(what, method, pathname, started, invalidResponse(what, status, `response over ${this.maxBodyBytes} bytes`));
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw this.failed(what, method, pathname, started, invalidResponse(what, status, 'response is not JSON'));
    }
    this.logger?.debug({ op: what, method, url: redactUrl(pathname), status, ms: Date.now() - started }, 'whatsapp call');
    return { status, json };
  }

  /**
   * One request to Graph's origin through the keep-alive pool, with undici's handler interface
   * rather than `request()`: no response stream, no async resource, no URL to parse per call
   * (`request()` took about 1.5 times the CPU per call with AsyncLocalStorage on, as it is in the
   * worker; docs/benchmarks.md, tenth pass). Resolves with the status and the whole body, or a null body past `max` bytes (the
   * request is then aborted, the rest never buffered); rejects with undici's own error when no
   * complete answer came (refused, timed out, cut off), which transportError classifies.
   */
  private exchange(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body: string | FormData | undefined,
    max: number,
  ): Promise<{ status: number; raw: Buffer | null }> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      let status = 0;
      let tooLarge = false;
      this.dispatcher.dispatch(
        { origin: this.origin, path, method, headers, body },
        {
          // Its presence is how undici tells this handler interface from the older one.
          onRequestStart: () => undefined,
          onResponseStart: (_controller, statusCode) => {
            // An informational 1xx is followed by the real answer.
            if (statusCode >= 200) status = statusCode;
          },
          onResponseData: (controller, chunk) => {
            if (tooLarge) return;
            total += chunk.length;
            if (total > max) {
              tooLarge = true;
              chunks.length = 0;
              controller.abort(new ResponseTooLargeError(max));
              return;
            }
            chunks.push(chunk);
          },
          onResponseEnd: () => resolve({ status, raw: Buffer.concat(chunks, total) }),
          onResponseError: (_controller, err) => (tooLarge ? resolve({ status, raw: null }) : reject(err)),
        },
      );
    });
  }

  /** The whole body of a media download's error answer, or null past `max` bytes (the rest is discarded, not buffered). */
  private async readBody(what: string, method: string, path: string, started: number, body: ResponseBody, max: number): Promise<Buffer | null> {
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of body) {
        const buf = chunk as Buffer;
        total += buf.length;
        if (total > max) {
          body.destroy();
          return null;
        }
        chunks.push(buf);
      }
    } catch (err) {
      // Headers arrived but the body did not: Meta has processed the request, its answer is lost.
      throw this.failed(what, method, path, started, transportError(err, what));
    }
    return Buffer.concat(chunks, total);
  }

  private failed(what: string, method: string, path: string, started: number, error: ProviderError): ProviderError {
    this.logger?.debug(
      {
        op: what,
        method,
        url: redactUrl(path),
        ms: Date.now() - started,
        kind: error.kind,
        status: error.httpStatus,
        code: error.code,
        fbtraceId: error.fbtraceId,
      },
      'whatsapp call failed',
    );
    return error;
  }
}

/** Aborts a Graph answer longer than the adapter reads (maxBodyBytes). */
class ResponseTooLargeError extends Error {
  constructor(max: number) {
    super(`response over ${max} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** A non-2xx answer: Meta's error shape gives an `api` error with its code, anything else is `http`. */
function errorFromResponse(what: string, status: number, raw: Buffer | null): ProviderError {
  let json: unknown = undefined;
  if (raw !== null) {
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      json = undefined;
    }
  }
  const parsed = metaError.safeParse(json);
  if (!parsed.success) return new ProviderError({ kind: 'http', message: `${what}: HTTP ${status} without a Graph error body`, httpStatus: status });
  const e = parsed.data.error;
  return new ProviderError({
    kind: 'api',
    message: `${what}: ${e.message ?? `Graph error ${e.code}`}`,
    code: e.code,
    httpStatus: status,
    details: e.error_data?.details ?? null,
    fbtraceId: e.fbtrace_id ?? null,
  });
}

function invalidResponse(what: string, status: number, why: string): ProviderError {
  return new ProviderError({ kind: 'invalid_response', message: `${what}: unreadable ${status} response (${why})`, httpStatus: status });
}

function mediaError(message: string, details?: string): ProviderError {
  return new ProviderError({ kind: 'media', message, details: details ?? null });
}

function cursorFrom(next: string): string | null {
  return URL.canParse(next) ? new URL(next).searchParams.get('after') : null;
}

/**
 * Meta documents the media sha256 as hex, while webhooks have been seen carrying base64: both name
 * the same 32 bytes (64 hex digits versus 44 base64 characters, so the two never collide).
 */
export function decodeSha256(value: string): Buffer | null {
  const v = value.trim();
  if (/^[0-9a-f]{64}$/i.test(v)) return Buffer.from(v, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(v)) return null;
  const bytes = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === 32 ? bytes : null;
}
