import { Injectable } from '@nestjs/common';
import { SimulatorSettings } from '../config/simulator-settings.js';
import { GraphAuthService } from '../graph/graph-auth.service.js';
import { GraphApiError, GraphErrors } from '../graph/graph.errors.js';
import { FaultsService } from '../state/faults.service.js';
import { SchedulerService } from '../state/scheduler.service.js';
import { MediaStoreService, type StoredMedia } from './media-store.service.js';

export interface UploadedFile {
  bytes: Buffer;
  mimeType: string;
  filename: string;
}

export interface MediaUpload {
  fields: Record<string, string>;
  file?: UploadedFile;
}

export interface MediaInfoResponse {
  messaging_product: 'whatsapp';
  url: string;
  mime_type: string;
  sha256: string;
  file_size: number;
  id: string;
}

const MB = 1024 * 1024;

/** Meta's supported types and size limits (docs §2.6); anything else is a 131053. */
const LIMITS: { pattern: RegExp; maxBytes: number }[] = [
  { pattern: /^image\/(jpeg|png)$/, maxBytes: 5 * MB },
  { pattern: /^image\/webp$/, maxBytes: 500 * 1024 },
  { pattern: /^video\/(mp4|3gpp)$/, maxBytes: 16 * MB },
  { pattern: /^audio\/(aac|amr|mpeg|mp4|ogg)(;.*)?$/, maxBytes: 16 * MB },
  {
    pattern:
      /^(text\/plain|application\/pdf|application\/msword|application\/vnd\.ms-excel|application\/vnd\.ms-powerpoint|application\/vnd\.openxmlformats-officedocument\.(wordprocessingml\.document|spreadsheetml\.sheet|presentationml\.presentation))$/,
    maxBytes: 100 * MB,
  },
];

/** Signatures of the types whose content Meta checks against the declared type (a mismatch is a 131053). */
const SIGNATURES: Record<string, number[]> = {
  'image/jpeg': [0xff, 0xd8, 0xff],
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d],
};

/** /{phone-number-id}/media, /{media-id} and the download URL. */
@Injectable()
export class MediaService {
  constructor(
    private readonly auth: GraphAuthService,
    private readonly store: MediaStoreService,
    private readonly faults: FaultsService,
    private readonly scheduler: SchedulerService,
    private readonly settings: SimulatorSettings,
  ) {}

  /** `read` parses the multipart body, once the caller is known to be allowed. */
  async upload(version: string, phoneNumberId: string, authorization: string | undefined, read: () => Promise<MediaUpload>): Promise<{ id: string }> {
    const number = this.auth.number(version, phoneNumberId, authorization, 'post');
    const latency = this.faults.get(number.phoneNumberId).latencyMs;
    if (latency > 0) await this.scheduler.sleep(latency);
    const upload = await read();
    const product = upload.fields.messaging_product;
    if (product === undefined) throw GraphErrors.invalidParameter('The parameter messaging_product is required.');
    if (product !== 'whatsapp') throw GraphErrors.invalidParameter(`Param messaging_product must be one of {WHATSAPP} - got "${product}".`);
    if (!upload.file) throw GraphErrors.invalidParameter('The parameter file is required.');
    const mimeType = (upload.fields.type ?? upload.file.mimeType).trim().toLowerCase();
    const limit = LIMITS.find((l) => l.pattern.test(mimeType));
    if (!limit) throw GraphErrors.mediaUpload(`Param file must be a file with one of the supported media types; got type "${mimeType}".`);
    if (upload.file.bytes.length === 0) throw GraphErrors.mediaUpload('The file is empty.');
    if (upload.file.bytes.length > limit.maxBytes) {
      throw GraphErrors.mediaUpload(`The file is ${upload.file.bytes.length} bytes; ${mimeType} files may be at most ${limit.maxBytes} bytes.`);
    }
    const signature = SIGNATURES[mimeType];
    if (signature && !signature.every((b, i) => upload.file!.bytes[i] === b)) {
      throw GraphErrors.mediaUpload(`The file's content is not of the declared type ${mimeType}.`);
    }
    if (this.faults.takeMediaUploadError(number.phoneNumberId)) {
      throw GraphErrors.mediaUpload('The media could not be processed. Check that it is not corrupted and matches the declared type.');
    }
    const stored = this.store.store({
      phoneNumberId: number.phoneNumberId,
      wabaId: number.wabaId,
      bytes: upload.file.bytes,
      mimeType,
      filename: upload.file.filename,
      source: 'upload',
    });
    return { id: stored.id };
  }

  info(version: string, mediaId: string, authorization: string | undefined, phoneNumberId: string | undefined): MediaInfoResponse {
    const media = this.visibleMedia(version, mediaId, authorization, phoneNumberId, 'get');
    const token = this.store.issueDownloadToken(media.id);
    return {
      messaging_product: 'whatsapp',
      url: `${this.settings.baseUrl}/media-download/${media.id}?token=${token}`,
      mime_type: media.mimeType,
      sha256: media.sha256,
      file_size: media.fileSize,
      id: media.id,
    };
  }

  delete(version: string, mediaId: string, authorization: string | undefined, phoneNumberId: string | undefined): { success: true } {
    const media = this.visibleMedia(version, mediaId, authorization, phoneNumberId, 'delete');
    this.store.delete(media.id);
    return { success: true };
  }

  /** The bytes behind a URL from info(): needs the URL's token and a Bearer token of the media's account. */
  download(mediaId: string, urlToken: string | undefined, authorization: string | undefined): StoredMedia {
    const caller = this.auth.caller(authorization);
    const media = this.store.redeem(mediaId, urlToken);
    if (!media)
      throw new GraphApiError({
        httpStatus: 404,
        code: 100,
        message: 'The media URL is invalid or has expired. Retrieve a new URL from the media id.',
      });
    if (media.wabaId !== caller.wabaId) throw GraphErrors.invalidToken();
    return media;
  }

  private visibleMedia(
    version: string,
    mediaId: string,
    authorization: string | undefined,
    phoneNumberId: string | undefined,
    method: 'get' | 'delete',
  ): StoredMedia {
    this.auth.assertVersion(version);
    const caller = this.auth.caller(authorization);
    const media = this.store.find(mediaId);
    // Meta answers the same for media that does not exist and media another account cannot see.
    if (!media || media.wabaId !== caller.wabaId || (phoneNumberId !== undefined && media.phoneNumberId !== phoneNumberId)) {
      throw GraphErrors.unknownObject(method, mediaId);
    }
    return media;
  }
}
