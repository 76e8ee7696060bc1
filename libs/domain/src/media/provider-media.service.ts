import { Inject, Injectable, Logger } from '@nestjs/common';
import { NotFoundError, type MediaAssetId, type NumberId, type TenantId } from '#common';
import { MediaAssetRepository, TenantDb, type MediaAssetEntity, type ProviderMediaUploadEntity } from '#database';
import { classifyProviderError, ProviderError } from '#whatsapp';
import { NumberDirectory } from '../messaging/number-directory.js';
import { NumberHealthService } from '../messaging/number-health.service.js';
import { ProviderRegistry } from '../messaging/provider-registry.js';
import { MediaAssetNotFoundError, MediaRejectedByWhatsappError, MediaUploadInProgressError } from './media-library.errors.js';
import { MEDIA_STORAGE, type MediaStorage } from './media-storage.js';
import { formatBytes } from './media-type.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Meta keeps an uploaded file, and so its id, 30 days (reference §2.6). */
export const PROVIDER_MEDIA_TTL_MS = 30 * DAY_MS;
/**
 * An id with less than this left is uploaded again before use: a message planned now may wait in
 * its queue (quiet hours, pacing, a paused number) and must not reach Meta with a lapsed id.
 */
export const PROVIDER_MEDIA_REFRESH_MS = 3 * DAY_MS;
/** A fresh replacement for a refused id that is refused again is not an expiry: no third upload. */
export const REUPLOAD_GUARD_MS = 60 * 60 * 1000;

/** A library file as WhatsApp knows it for one sending number. */
export interface ProviderMedia {
  providerMediaId: string;
  asset: MediaAssetEntity;
}

/**
 * The ids WhatsApp gives the comuni's library files, per sending number: each file is uploaded
 * once per number (`POST /{phone-number-id}/media`) and its id reused until shortly before Meta's
 * 30 days run out, or until Meta refuses it at send time, so a 50,000-recipient campaign uploads
 * its attachment once. Concurrent callers in this process share one upload; across processes a
 * Postgres advisory lock lets one upload while the others are told to come back.
 */
@Injectable()
export class ProviderMediaService {
  private readonly logger = new Logger('ProviderMedia');
  private readonly inFlight = new Map<string, Promise<ProviderMedia>>();

  constructor(
    private readonly assets: MediaAssetRepository,
    private readonly db: TenantDb,
    private readonly directory: NumberDirectory,
    private readonly providers: ProviderRegistry,
    private readonly health: NumberHealthService,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
  ) {}

  /**
   * The provider's id of the file for the number, uploading it when there is none still good.
   * Throws MediaAssetNotFoundError (the file was deleted) and MediaRejectedByWhatsappError (Meta
   * refused the file itself) for what no retry fixes; anything else (a timeout, a Meta outage, an
   * upload in progress elsewhere) is worth trying again later.
   */
  resolve(tenantId: TenantId, numberId: NumberId, assetId: MediaAssetId): Promise<ProviderMedia> {
    const key = `${tenantId}/${numberId}/${assetId}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const work = this.resolveOnce(tenantId, numberId, assetId).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, work);
    return work;
  }

  /**
   * Meta refused `providerMediaId` at send time (expired or unknown). True when the message should
   * go again with a fresh upload: the id is marked refused (once, whoever reports it first), or was
   * already replaced. False when the refused id is itself a replacement uploaded within the last
   * hour for the same reason: then the id is not the problem and the error takes its normal course.
   */
  async reportRefused(tenantId: TenantId, numberId: NumberId, assetId: MediaAssetId, providerMediaId: string, now = new Date()): Promise<boolean> {
    const upload = await this.assets.findUpload(tenantId, numberId, assetId);
    if (!upload) return false;
    if (upload.providerMediaId !== providerMediaId || upload.rejectedAt !== null) return true;
    if (upload.replacedRejectedAt !== null && now.getTime() - upload.uploadedAt.getTime() < REUPLOAD_GUARD_MS) return false;
    const marked = await this.assets.markUploadRejected(tenantId, numberId, assetId, providerMediaId);
    if (marked)
      this.logger.warn(
        { event: 'provider_media_refused', tenantId, numberId, mediaAssetId: assetId },
        'WhatsApp refused a media id: uploading again',
      );
    return true;
  }

  private async resolveOnce(tenantId: TenantId, numberId: NumberId, assetId: MediaAssetId): Promise<ProviderMedia> {
    const asset = await this.assets.findById(tenantId, assetId);
    if (!asset) throw new MediaAssetNotFoundError();
    const current = await this.assets.findUpload(tenantId, numberId, assetId);
    if (usable(current, new Date())) return { providerMediaId: current!.providerMediaId, asset };
    try {
      return await this.uploadLocked(tenantId, numberId, asset);
    } catch (err) {
      // After the transaction: a pause recorded inside it would be rolled back with it.
      if (err instanceof ProviderError && classifyProviderError(err) === 'pause_number') {
        await this.health.pauseForError(tenantId, numberId, err.code, [err.message, err.details].filter(Boolean).join(': '));
      }
      throw err;
    }
  }

  /** Uploads under the pair's advisory lock, held for the transaction (and so across the HTTP call). */
  private uploadLocked(tenantId: TenantId, numberId: NumberId, asset: MediaAssetEntity): Promise<ProviderMedia> {
    const assetId = asset.id;
    return this.db.forTenant(tenantId, async () => {
      if (!(await this.assets.tryLockUpload(tenantId, numberId, assetId))) throw new MediaUploadInProgressError();
      const locked = await this.assets.findUpload(tenantId, numberId, assetId);
      if (usable(locked, new Date())) return { providerMediaId: locked!.providerMediaId, asset };
      const providerMediaId = await this.upload(tenantId, numberId, asset);
      const uploadedAt = new Date();
      await this.assets.saveUpload(tenantId, {
        numberId,
        mediaAssetId: assetId,
        providerMediaId,
        uploadedAt,
        expiresAt: new Date(uploadedAt.getTime() + PROVIDER_MEDIA_TTL_MS),
        replacedRejectedAt: locked?.rejectedAt ?? null,
      });
      this.logger.log(
        { event: 'provider_media_uploaded', tenantId, numberId, mediaAssetId: assetId, bytes: Number(asset.sizeBytes), replaced: locked !== null },
        'library file uploaded to WhatsApp',
      );
      return { providerMediaId, asset };
    });
  }

  private async upload(tenantId: TenantId, numberId: NumberId, asset: MediaAssetEntity): Promise<string> {
    const sender = await this.directory.get(tenantId, numberId);
    if (!sender) throw new NotFoundError('Number', 'NUMBER_NOT_FOUND');
    const bytes = await this.storage.get(asset.storageKey);
    try {
      const { mediaId } = await this.providers
        .for(sender.providerKind)
        .uploadMedia(sender.credentials, { bytes, mimeType: asset.mimeType, filename: asset.filename });
      return mediaId;
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      const action = classifyProviderError(err);
      // The adapter prefixes its messages with the call's name; an editor reads Meta's words only.
      const reason = [err.message.replace(/^uploadMedia: /, ''), err.details].filter(Boolean).join(': ');
      this.logger.warn({
        event: 'provider_media_upload_failed',
        tenantId,
        numberId,
        mediaAssetId: asset.id,
        code: err.code,
        action,
        fbtraceId: err.fbtraceId,
      });
      // The error table decides, as for sends: our file is wrong (131053 and the like), the number
      // is in trouble (token, account: paused by the caller), or it is worth another try.
      if (action === 'bug') {
        throw new MediaRejectedByWhatsappError(
          `WhatsApp refused the attached file "${asset.filename}" (${asset.mimeType}, ${formatBytes(Number(asset.sizeBytes))}): ${reason.replace(/\.$/, '')}. Attach a corrected file to a new campaign`,
          err.code,
        );
      }
      throw err;
    }
  }
}

function usable(upload: ProviderMediaUploadEntity | null, now: Date): boolean {
  return upload !== null && upload.rejectedAt === null && upload.expiresAt.getTime() - now.getTime() > PROVIDER_MEDIA_REFRESH_MS;
}
