import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { isUuid, newId, type MediaAssetId, type TenantId } from '#common';
import { MediaAssetRepository, type MediaAssetEntity, type MediaAssetKind, type Page, type PageRequest } from '#database';
import type { Actor } from '../auth/actor.js';
import { AuditService } from '../audit/audit.service.js';
import {
  MediaAssetNotFoundError,
  MediaInUseError,
  MediaLibraryErrorCode,
  MediaTooLargeError,
  MediaTypeNotAllowedError,
} from './media-library.errors.js';
import { MEDIA_STORAGE, type MediaStorage } from './media-storage.js';
import { checkMediaFile } from './media-type.js';

/**
 * Each comune's media library: the images and documents (an ordinance's PDF) its editors upload
 * once and attach to campaigns by id. What a file is comes from its bytes; the bytes live in the
 * same MediaStorage as citizens' media, under the comune's own prefix.
 */
@Injectable()
export class MediaLibraryService {
  constructor(
    private readonly assets: MediaAssetRepository,
    private readonly audit: AuditService,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
  ) {}

  async upload(tenantId: TenantId, actor: Actor | null, file: { bytes: Buffer; filename: string }): Promise<MediaAssetEntity> {
    const check = checkMediaFile(file.bytes, file.filename);
    if (!check.ok) {
      switch (check.problem) {
        case 'empty':
          throw new MediaTypeNotAllowedError(check.message, MediaLibraryErrorCode.Empty);
        case 'type':
          throw new MediaTypeNotAllowedError(check.message);
        case 'size':
          throw new MediaTooLargeError(check.message, check.maxBytes ?? 0);
      }
    }
    const id = newId<MediaAssetId>();
    const sha256 = createHash('sha256').update(file.bytes).digest('hex');
    const storageKey = `${tenantId}/library/${id}`;
    await this.storage.put(storageKey, file.bytes);
    let row: MediaAssetEntity;
    try {
      row = await this.assets.insert(tenantId, {
        id,
        kind: check.type.kind,
        mimeType: check.type.mimeType,
        filename: check.filename,
        sizeBytes: file.bytes.length,
        sha256,
        storageKey,
        createdBy: actor?.userId ?? null,
      });
    } catch (err) {
      await this.storage.delete(storageKey);
      throw err;
    }
    await this.audit.record(
      tenantId,
      actor,
      'media.uploaded',
      { type: 'media', id },
      { kind: row.kind, mimeType: row.mimeType, sizeBytes: file.bytes.length, sha256 },
    );
    return row;
  }

  list(tenantId: TenantId, page: PageRequest, filter: { kind?: MediaAssetKind } = {}): Promise<Page<MediaAssetEntity>> {
    return this.assets.list(tenantId, page, filter);
  }

  /** The comune's file; another comune's id is a 404 like one that never existed. */
  async get(tenantId: TenantId, id: string): Promise<MediaAssetEntity> {
    const asset = isUuid(id) ? await this.assets.findById(tenantId, id as MediaAssetId) : null;
    if (!asset) throw new MediaAssetNotFoundError();
    return asset;
  }

  findByIds(tenantId: TenantId, ids: readonly string[]): Promise<Map<MediaAssetId, MediaAssetEntity>> {
    return this.assets.findByIds(tenantId, ids.filter(isUuid) as MediaAssetId[]);
  }

  async read(tenantId: TenantId, id: string): Promise<{ asset: MediaAssetEntity; bytes: Buffer }> {
    const asset = await this.get(tenantId, id);
    return { asset, bytes: await this.storage.get(asset.storageKey) };
  }

  /**
   * Deletes a file no campaign can still send: a draft, scheduled, sending or paused campaign, or
   * an active recurring schedule, keeps it (409 naming them). Campaigns already sent keep their
   * record; their citizens keep what they received.
   */
  async delete(tenantId: TenantId, actor: Actor, id: string): Promise<void> {
    const asset = await this.get(tenantId, id);
    const users = await this.assets.usersOf(tenantId, asset.id);
    if (users.campaigns.length > 0 || users.schedules.length > 0) {
      const names = [...users.campaigns.map((c) => `campaign "${c.title}" (${c.status})`), ...users.schedules.map((s) => `schedule "${s.name}"`)];
      throw new MediaInUseError(`the file is still attached to ${names.join(', ')}: detach it or finish them first`, users);
    }
    const key = await this.assets.delete(tenantId, asset.id);
    if (key === null) throw new MediaAssetNotFoundError();
    await this.storage.delete(key);
    await this.audit.record(tenantId, actor, 'media.deleted', { type: 'media', id: asset.id }, { kind: asset.kind, sha256: asset.sha256 });
  }
}
