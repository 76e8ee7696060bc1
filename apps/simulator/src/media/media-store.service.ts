import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { randomDigits } from '../state/random-digits.js';

export interface StoredMedia {
  id: string;
  /** The number it was uploaded on or received by. */
  phoneNumberId: string;
  wabaId: string;
  bytes: Buffer;
  mimeType: string;
  /**
   * Base64 of the SHA-256 digest, the encoding of `sha256` in Meta's webhooks (fixture 03); the
   * media endpoint returns the same value, so one encoding is used everywhere.
   */
  sha256: string;
  fileSize: number;
  filename?: string;
  /** Uploaded by the business (POST /{phone-number-id}/media) or sent by a citizen. */
  source: 'upload' | 'inbound';
  createdAt: Date;
}

/** What the control API tells about an upload: never the bytes. */
export interface MediaUploadView {
  id: string;
  phoneNumberId: string;
  mimeType: string;
  sha256: string;
  fileSize: number;
  filename: string | null;
  uploadedAt: string;
  /** False once deleted or expired (POST /_sim/media/:id/expire): sends with the id then fail. */
  available: boolean;
}

/** Meta's media URLs stop working after about five minutes. */
export const MEDIA_URL_TTL_MS = 5 * 60_000;

@Injectable()
export class MediaStoreService {
  private readonly media = new Map<string, StoredMedia>();
  private readonly downloadTokens = new Map<string, { mediaId: string; expiresAt: number }>();
  /** Every upload in order, kept after the media is deleted or expired, so tests can count them. */
  private readonly uploadLog: StoredMedia[] = [];

  store(input: {
    phoneNumberId: string;
    wabaId: string;
    bytes: Buffer;
    mimeType: string;
    filename?: string;
    source?: 'upload' | 'inbound';
  }): StoredMedia {
    let id: string;
    do id = randomDigits(16);
    while (this.media.has(id));
    const stored: StoredMedia = {
      id,
      phoneNumberId: input.phoneNumberId,
      wabaId: input.wabaId,
      bytes: input.bytes,
      mimeType: input.mimeType,
      sha256: createHash('sha256').update(input.bytes).digest('base64'),
      fileSize: input.bytes.length,
      filename: input.filename,
      source: input.source ?? 'inbound',
      createdAt: new Date(),
    };
    this.media.set(id, stored);
    if (stored.source === 'upload') this.uploadLog.push(stored);
    return stored;
  }

  /** The business's uploads, oldest first, optionally of one number. */
  uploads(phoneNumberId?: string): MediaUploadView[] {
    return this.uploadLog
      .filter((m) => phoneNumberId === undefined || m.phoneNumberId === phoneNumberId)
      .map((m) => ({
        id: m.id,
        phoneNumberId: m.phoneNumberId,
        mimeType: m.mimeType,
        sha256: m.sha256,
        fileSize: m.fileSize,
        filename: m.filename ?? null,
        uploadedAt: m.createdAt.toISOString(),
        available: this.media.has(m.id),
      }));
  }

  find(id: string): StoredMedia | undefined {
    return this.media.get(id);
  }

  delete(id: string): boolean {
    return this.media.delete(id);
  }

  /** A fresh opaque token for the download URL, valid for {@link MEDIA_URL_TTL_MS}. */
  issueDownloadToken(mediaId: string, now = Date.now()): string {
    const token = randomBytes(24).toString('base64url');
    this.downloadTokens.set(token, { mediaId, expiresAt: now + MEDIA_URL_TTL_MS });
    return token;
  }

  /** The media a download URL points at, when its token is current. */
  redeem(mediaId: string, token: string | undefined, now = Date.now()): StoredMedia | undefined {
    const grant = token === undefined ? undefined : this.downloadTokens.get(token);
    if (!grant || grant.mediaId !== mediaId || grant.expiresAt < now) return undefined;
    return this.media.get(mediaId);
  }

  clear(): void {
    this.media.clear();
    this.downloadTokens.clear();
    this.uploadLog.length = 0;
  }
}
