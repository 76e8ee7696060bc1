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
  createdAt: Date;
}

/** Meta's media URLs stop working after about five minutes. */
export const MEDIA_URL_TTL_MS = 5 * 60_000;

@Injectable()
export class MediaStoreService {
  private readonly media = new Map<string, StoredMedia>();
  private readonly downloadTokens = new Map<string, { mediaId: string; expiresAt: number }>();

  store(input: { phoneNumberId: string; wabaId: string; bytes: Buffer; mimeType: string; filename?: string }): StoredMedia {
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
      createdAt: new Date(),
    };
    this.media.set(id, stored);
    return stored;
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
  }
}
