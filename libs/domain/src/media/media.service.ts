import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type MediaFileId, type TenantId } from '#common';
import { InboundMessageRepository, MediaFileRepository } from '#database';
import { decodeSha256, ProviderError } from '#whatsapp';
import { NumberDirectory } from '../messaging/number-directory.js';
import { ProviderRegistry } from '../messaging/provider-registry.js';
import { MEDIA_STORAGE, type MediaStorage } from './media-storage.js';

/**
 * Copies a citizen's media from Meta (which keeps it for 7 days) to our storage, with the number's
 * own token, checking its size and its sha256 against what the webhook announced.
 */
@Injectable()
export class MediaService {
  private readonly logger = new Logger('Media');

  constructor(
    private readonly files: MediaFileRepository,
    private readonly inbound: InboundMessageRepository,
    private readonly directory: NumberDirectory,
    private readonly providers: ProviderRegistry,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Downloads one file. Returns normally when it is stored or when retrying cannot help (a
   * checksum mismatch or an oversized file is recorded as failed); throws for transient errors so
   * the queue retries.
   */
  async download(tenantId: TenantId, id: MediaFileId, lastAttempt: boolean): Promise<'stored' | 'failed' | 'skipped'> {
    const file = await this.files.findById(tenantId, id);
    if (!file || file.status !== 'pending') return 'skipped';
    // The message was dropped meanwhile (its sender is blocked): its media are not kept.
    const msg = file.inboundMessageId ? await this.inbound.findById(tenantId, file.inboundMessageId) : null;
    if (msg?.contentPurgedAt) {
      await this.files.markPurged(tenantId, id, 'message dropped');
      return 'skipped';
    }
    const sender = await this.directory.get(tenantId, file.numberId);
    if (!sender) {
      await this.files.recordFailure(tenantId, id, 'the number no longer exists', true);
      return 'failed';
    }
    try {
      const media = await this.providers.for(sender.providerKind).downloadMedia(sender.credentials, file.providerMediaId, this.config.media.maxBytes);
      // The adapter checked the bytes against the media endpoint's digest; the webhook announced one too.
      const announced = file.expectedSha256 ? decodeSha256(file.expectedSha256) : null;
      if (file.expectedSha256 && (!announced || announced.toString('hex') !== media.sha256Hex)) {
        throw new ProviderError({ kind: 'media', message: 'checksum mismatch: the file differs from what the webhook announced' });
      }
      const now = new Date();
      const key = `${tenantId}/${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${id}`;
      await this.storage.put(key, media.bytes);
      const kept = await this.files.markStored(tenantId, id, {
        sha256: media.sha256Hex,
        sizeBytes: media.bytes.length,
        storageKey: key,
        mimeType: media.mimeType,
      });
      // Purged while it was downloading (a blocked citizen): nothing may stay in storage.
      if (!kept) {
        await this.storage.delete(key);
        return 'skipped';
      }
      return 'stored';
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const permanent =
        err instanceof ProviderError && (err.kind === 'media' || (err.kind === 'api' && err.httpStatus !== null && err.httpStatus < 500));
      this.logger.warn({ event: 'media_download_failed', tenantId, mediaFileId: id, reason, permanent });
      await this.files.recordFailure(tenantId, id, reason, permanent || lastAttempt);
      if (permanent) return 'failed';
      throw err;
    }
  }

  /** The stored bytes of a file, for the API. */
  async read(tenantId: TenantId, id: MediaFileId): Promise<{ bytes: Buffer; mimeType: string | null } | null> {
    const file = await this.files.findById(tenantId, id);
    if (!file || file.status !== 'stored' || !file.storageKey) return null;
    return { bytes: await this.storage.get(file.storageKey), mimeType: file.mimeType };
  }
}
