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
  private readonly root: string;
  private readonly maxBodyBytes: number;
  private readonly maxTemplatePages: number;
  private readonly logger?: Pick<Logger, 'debug' | 'warn'>;

  constructor(options: CloudApiAdapterOptions) {
    if (!URL.canParse(options.baseUrl)) throw new Error('CloudApiAdapter: baseUrl must be an absolute URL');
    if (!/^v\d+\.\d+$/.test(options.apiVersion)) throw new Error('CloudApiAdapter: apiVersion must look like v25.0');
    this.root = `${options.baseUrl.replace(/\/+$/, '')}/${options.apiVersion}`;
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
    const { status, json } = await this.call('send', 'POST', this.url(req.from.phoneNumberId, 'messages'), req.from.accessToken, { json: body });
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
    const { status, json } = await this.call('markRead', 'POST', this.url(from.phoneNumberId, 'messages'), from.accessToken, { json: body });
    if (!successResponse.safeParse(json).success) throw invalidResponse('markRead', status, 'no success: true in the response');
  }

  async uploadMedia(from: SenderCredentials, file: { bytes: Buffer; mimeType: string; filename: string }): Promise<{ mediaId: string }> {
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('type', file.mimeType);
    form.append('file', new Blob([file.bytes], { type: file.mimeType }), file.filename);
    const { status, json } = await this.call('uploadMedia', 'POST', this.url(from.phoneNumberId, 'media'), from.accessToken, { form });
    const parsed = uploadResponse.safeParse(json);
    if (!parsed.success) throw invalidResponse('uploadMedia', status, 'no id in the response');
    return { mediaId: parsed.data.id };
  }

  async getMediaInfo(from: SenderCredentials, mediaId: string): Promise<MediaInfo> {
    const url = this.url(mediaId);
    url.searchParams.set('phone_number_id', from.phoneNumberId);
    const { status, json } = await this.call('getMediaInfo', 'GET', url, from.accessToken);
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
      throw this.failed('downloadMedia', 'GET', url, started, transportError(err, 'downloadMedia'));
    }
    if (res.statusCode < 200 || res.statusCode > 299) {
      const raw = await this.readBody('downloadMedia', 'GET', url, started, res.body, this.maxBodyBytes);
      throw this.failed('downloadMedia', 'GET', url, started, errorFromResponse('downloadMedia', res.statusCode, raw));
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
      throw this.failed('downloadMedia', 'GET', url, started, transportError(err, 'downloadMedia'));
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
      const url = this.url(wabaId, 'message_templates');
      url.searchParams.set('fields', TEMPLATE_FIELDS);
      url.searchParams.set('limit', '100');
      if (after !== null) url.searchParams.set('after', after);
      const { status, json } = await this.call('listTemplates', 'GET', url, from.accessToken);
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

  private url(...segments: string[]): URL {
    return new URL(`${this.root}/${segments.map((s) => encodeURIComponent(s)).join('/')}`);
  }

  /** One Graph call: the response JSON of a 2xx, or a ProviderError saying how far the request got. */
  private async call(what: string, method: 'GET' | 'POST', url: URL, token: string, body?: Body): Promise<{ status: number; json: unknown }> {
    const started = Date.now();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    let payload: string | FormData | undefined;
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      payload = body.form;
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { dispatcher: this.dispatcher, method, headers, body: payload });
    } catch (err) {
      throw this.failed(what, method, url, started, transportError(err, what));
    }
    const raw = await this.readBody(what, method, url, started, res.body, this.maxBodyBytes, res.headers['content-length']);
    if (res.statusCode < 200 || res.statusCode > 299) throw this.failed(what, method, url, started, errorFromResponse(what, res.statusCode, raw));
    if (raw === null)
      throw this.failed(what, method, url, started, invalidResponse(what, res.statusCode, `response over ${this.maxBodyBytes} bytes`));
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw this.failed(what, method, url, started, invalidResponse(what, res.statusCode, 'response is not JSON'));
    }
    this.logger?.debug({ op: what, method, url: redactUrl(url.pathname), status: res.statusCode, ms: Date.now() - started }, 'whatsapp call');
    return { status: res.statusCode, json };
  }

  /**
   * The whole body, or null past `max` bytes (the rest is discarded, not buffered). A body whose
   * Content-Length is within `max` is read in one go (the HTTP parser stops at that length); the
   * chunk-by-chunk async iteration otherwise needed was about a tenth of what the worker allocated per send.
   */
  private async readBody(
    what: string,
    method: string,
    url: URL,
    started: number,
    body: ResponseBody,
    max: number,
    contentLength?: string | string[],
  ): Promise<Buffer | null> {
    const declared = typeof contentLength === 'string' ? Number(contentLength) : NaN;
    if (Number.isSafeInteger(declared) && declared >= 0 && declared <= max) {
      try {
        return Buffer.from(await body.arrayBuffer());
      } catch (err) {
        throw this.failed(what, method, url, started, transportError(err, what));
      }
    }
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
      throw this.failed(what, method, url, started, transportError(err, what));
    }
    return Buffer.concat(chunks, total);
  }

  private failed(what: string, method: string, url: URL, started: number, error: ProviderError): ProviderError {
    this.logger?.debug(
      {
        op: what,
        method,
        url: redactUrl(url.pathname),
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
