import { Injectable, Logger } from '@nestjs/common';
import { ValidationError, type MediaAssetId, type NumberId, type TenantId } from '#common';
import { MediaAssetRepository, type CampaignEntity, type CampaignMedia, type MediaAssetEntity } from '#database';
import { MediaAssetNotFoundError, MediaLibraryErrorCode, MediaRejectedByWhatsappError } from '../media/media-library.errors.js';
import { MediaLibraryService } from '../media/media-library.service.js';
import { ProviderMediaService } from '../media/provider-media.service.js';
import type { SendableMedia } from './template-rendering.js';

/**
 * A campaign's attachment from the editor's choice to what WhatsApp receives: a public link goes
 * as it is; a file of the comune's media library goes by the id WhatsApp gave it for the sending
 * number, uploaded when the campaign starts (once per number, not per message or batch) and again
 * only when that id nears Meta's 30 days or is refused (docs/adr/0010-campaign-media-upload.md).
 */
@Injectable()
export class CampaignMediaService {
  private readonly logger = new Logger('CampaignMedia');

  constructor(
    private readonly library: MediaLibraryService,
    private readonly providerMedia: ProviderMediaService,
    private readonly assets: MediaAssetRepository,
  ) {}

  /**
   * The attachment as stored on a campaign: exactly one of link and mediaId, and a library file
   * must be this comune's (404 otherwise) and of the kind the campaign says.
   */
  async check(tenantId: TenantId, media: CampaignMedia | null | undefined): Promise<CampaignMedia | null> {
    if (!media) return null;
    const hasLink = typeof media.link === 'string' && media.link !== '';
    const hasId = typeof media.mediaId === 'string' && media.mediaId !== '';
    if (hasLink === hasId)
      throw new ValidationError('media: give exactly one of link (a public https URL) and mediaId (a file of the media library)');
    const filename = media.filename !== undefined ? { filename: media.filename } : {};
    if (hasLink) return { kind: media.kind, link: media.link, ...filename };
    const asset = await this.library.get(tenantId, media.mediaId!);
    if (asset.kind !== media.kind) {
      throw new ValidationError(
        `media: the library file "${asset.filename}" is ${asset.kind === 'image' ? 'an image' : 'a document'}, but media.kind is ${media.kind}`,
        undefined,
        MediaLibraryErrorCode.KindMismatch,
      );
    }
    return { kind: media.kind, mediaId: asset.id, ...filename };
  }

  /** The library file behind a campaign's mediaId (404 for another comune's). */
  asset(tenantId: TenantId, mediaId: string): Promise<MediaAssetEntity> {
    return this.library.get(tenantId, mediaId);
  }

  /**
   * What goes to WhatsApp for the number: the link, or the provider's id of the library file
   * (uploaded now when the number has none still good). Throws MediaAssetNotFoundError and
   * MediaRejectedByWhatsappError when no retry can help (see {@link permanentProblem}).
   */
  async sendable(tenantId: TenantId, numberId: NumberId, media: CampaignMedia | null): Promise<SendableMedia | null> {
    if (!media) return null;
    if (!media.mediaId) return { kind: media.kind, link: media.link, ...(media.filename ? { filename: media.filename } : {}) };
    const { providerMediaId, asset } = await this.providerMedia.resolve(tenantId, numberId, media.mediaId as MediaAssetId);
    const filename = media.kind === 'document' ? (media.filename ?? asset.filename) : undefined;
    return { kind: media.kind, providerMediaId, ...(filename ? { filename } : {}) };
  }

  /**
   * Uploads a campaign's library file for its number as it starts, so its batches find the id
   * ready. Returns why the campaign cannot be sent at all, or null; a passing failure (Meta
   * unreachable, the number paused, an upload in progress elsewhere) is left to the batches,
   * which resolve the id themselves.
   */
  async prepareForStart(tenantId: TenantId, campaign: CampaignEntity): Promise<string | null> {
    const assetId = campaign.media?.mediaId;
    if (!assetId) return null;
    try {
      await this.sendable(tenantId, campaign.numberId, campaign.media);
      await this.assets.markUsed(tenantId, assetId as MediaAssetId, new Date());
      return null;
    } catch (err) {
      const problem = permanentProblem(err);
      if (problem !== null) return problem;
      this.logger.warn(
        { event: 'campaign_media_not_ready', tenantId, campaignId: campaign.id, reason: (err as Error).message },
        'the attachment could not be uploaded yet: the batches will try again',
      );
      return null;
    }
  }

  /** Meta refused the id a campaign message carried: whether to send it again with a fresh upload. */
  reportRefused(tenantId: TenantId, numberId: NumberId, campaign: CampaignEntity, providerMediaId: string): Promise<boolean> {
    const assetId = campaign.media?.mediaId;
    if (!assetId) return Promise.resolve(false);
    return this.providerMedia.reportRefused(tenantId, numberId, assetId as MediaAssetId, providerMediaId);
  }
}

/** The editor-facing reason when an attachment can never be sent as it is; null for a passing failure. */
export function permanentProblem(err: unknown): string | null {
  if (err instanceof MediaAssetNotFoundError) return 'the attached file is no longer in the media library';
  if (err instanceof MediaRejectedByWhatsappError) return err.message;
  return null;
}
