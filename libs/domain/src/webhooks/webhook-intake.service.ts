import { timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError, ForbiddenError, NotFoundError, UnauthorizedError, type ProviderAppId } from '#common';
import { ProviderAppRepository } from '#database';
import { verifyMetaSignature } from '#whatsapp';
import { ProviderAppsService } from '../provider-apps/provider-apps.service.js';
import { WebhookBatchWriter } from './webhook-batch-writer.js';
import { webhookRequests } from './webhook.metrics.js';

interface AppKeys {
  id: ProviderAppId;
  appSecrets: string[];
  verifyToken: string;
}

const APP_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * How long decrypted app secrets are reused. A body signed with a secret the cache does not know
 * yet (just rotated) makes the keys be read again, at most once a second per app.
 */
const KEYS_TTL_MS = 10_000;
const REFRESH_AFTER_FAILURE_MS = 1_000;

export class MalformedWebhookError extends AppError {
  constructor(readonly eventId: string) {
    super('WEBHOOK_MALFORMED', 'validation', 'the body is not valid JSON; it was stored for inspection');
  }
}

/**
 * The webhook's hot path, in the api: verify the signature on the raw bytes before anything else,
 * store the body durably, answer. Everything else happens in the worker. It reads nothing per
 * request but a cached key, so it never opens the per-request transactions the rest of the API uses.
 */
@Injectable()
export class WebhookIntakeService {
  private readonly keys = new Map<string, { keys: AppKeys | null; at: number }>();
  private readonly lookups = new Map<string, Promise<AppKeys | null>>();

  constructor(
    private readonly apps: ProviderAppRepository,
    private readonly appsService: ProviderAppsService,
    private readonly writer: WebhookBatchWriter,
  ) {}

  /** Meta's GET handshake: echoes the challenge only for mode=subscribe and the app's verify token. */
  async verifySubscription(appId: string, mode: unknown, token: unknown, challenge: unknown): Promise<string> {
    const keys = await this.keysFor(appId);
    if (!keys || mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string' || challenge.length === 0) {
      throw new ForbiddenError('verification refused', 'WEBHOOK_VERIFICATION_FAILED');
    }
    if (!constantTimeEquals(token, keys.verifyToken)) throw new ForbiddenError('verification refused', 'WEBHOOK_VERIFICATION_FAILED');
    return challenge;
  }

  /**
   * Verifies and stores one POST. Resolves once the body is durable (the caller answers 200);
   * throws UnauthorizedError for a bad or missing signature (nothing stored) and
   * MalformedWebhookError for a signed body that is not JSON (stored, marked malformed).
   */
  async receive(appId: string, raw: Buffer | undefined, signature: string | undefined): Promise<string> {
    let keys = await this.keysFor(appId);
    if (!keys) {
      webhookRequests.inc({ outcome: 'unknown_app' });
      throw new NotFoundError('Webhook endpoint', 'WEBHOOK_APP_UNKNOWN');
    }
    const body = raw ?? Buffer.alloc(0);
    if (!verifyMetaSignature(body, signature, keys.appSecrets) && signature !== undefined) {
      // Maybe the secret was just rotated: read the keys again, at most once a second per app.
      keys = (await this.keysFor(appId, REFRESH_AFTER_FAILURE_MS)) ?? keys;
    }
    if (!verifyMetaSignature(body, signature, keys.appSecrets)) {
      webhookRequests.inc({ outcome: 'signature_invalid' });
      throw new UnauthorizedError('missing or invalid X-Hub-Signature-256', 'WEBHOOK_SIGNATURE_INVALID');
    }
    const receivedAt = new Date();
    if (!isJsonObject(body)) {
      const id = await this.writer.store({ providerAppId: keys.id, receivedAt, body, status: 'malformed' });
      webhookRequests.inc({ outcome: 'malformed' });
      throw new MalformedWebhookError(id);
    }
    const id = await this.writer.store({ providerAppId: keys.id, receivedAt, body, status: 'pending' });
    webhookRequests.inc({ outcome: 'accepted' });
    return id;
  }

  /**
   * The app's keys, from a cache shared by all requests. One look-up per app id is in flight at a
   * time: when the cache expires under load, the requests that arrive meanwhile wait for that one
   * look-up instead of each opening a transaction and decrypting the secrets again.
   */
  private async keysFor(appId: string, maxAgeMs = KEYS_TTL_MS): Promise<AppKeys | null> {
    if (!APP_ID_RE.test(appId)) return null;
    const hit = this.keys.get(appId);
    if (hit && Date.now() - hit.at < maxAgeMs) return hit.keys;
    const lookup = this.lookups.get(appId) ?? this.startLookUp(appId);
    // Expired in the normal course: answer with the keys we have while they are read again, so the
    // refresh every KEYS_TTL_MS never holds requests up. A rotation check (shorter maxAge) waits.
    if (hit && maxAgeMs === KEYS_TTL_MS) return hit.keys;
    return lookup;
  }

  private startLookUp(appId: string): Promise<AppKeys | null> {
    const lookup = this.lookUp(appId).finally(() => this.lookups.delete(appId));
    this.lookups.set(appId, lookup);
    // A background refresh that fails leaves the old keys in place; the next request tries again.
    lookup.catch(() => undefined);
    return lookup;
  }

  private async lookUp(appId: string): Promise<AppKeys | null> {
    const app = await this.apps.findByAppId(appId);
    const keys: AppKeys | null = app ? { id: app.id, ...this.appsService.secretsOf(app) } : null;
    // Unknown ids are remembered briefly too (bounded), so a flood at a wrong URL is not a flood of queries.
    if (keys || this.keys.size < 10_000) this.keys.set(appId, { keys, at: Date.now() });
    return keys;
  }
}

function constantTimeEquals(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

function isJsonObject(body: Buffer): boolean {
  if (body.length === 0) return false;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}
