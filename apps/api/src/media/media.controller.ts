import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '#common';
import type { TenantEntity } from '#database';
import { formatBytes, MAX_LIBRARY_FILE_BYTES, MediaAssetNotFoundError, MediaLibraryService, MediaTooLargeError, type Actor } from '#domain';
import { CurrentActor, CurrentTenant, Roles } from '../http/auth.decorators.js';
import { mapPage, type PageResponse } from '../http/pagination.dto.js';
import { MediaAssetPageResponse, MediaAssetResponse, MediaQueryDto } from './media.dto.js';

const mediaId = new ParseUUIDPipe({ exceptionFactory: () => new MediaAssetNotFoundError() });
const STAFF = ['operator', 'tenant_admin', 'editor'] as const;

/**
 * The comune's media library: images and documents uploaded once and attached to campaigns by id
 * (`media: { kind, mediaId }`). What a file is comes from its bytes; WhatsApp's limits apply.
 */
@ApiTags('media')
@ApiBearerAuth()
@Controller('api/v1/tenants/:tenant/media')
export class MediaController {
  constructor(private readonly library: MediaLibraryService) {}

  @Post()
  @Roles(...STAFF)
  @ApiOperation({
    summary: 'Upload an image or document to the media library',
    description:
      'multipart/form-data with one part named `file`. Images: JPEG or PNG up to 5 MB; documents: PDF, Word, Excel, PowerPoint or plain ' +
      'text up to 100 MB. The type is read from the file’s content, not from its name or Content-Type (400 otherwise, 413 when too large). ' +
      'A document keeps its file name, sanitised: citizens see it.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiCreatedResponse({ type: MediaAssetResponse })
  @ApiPayloadTooLargeResponse({ description: 'Over WhatsApp’s limit for the file’s type' })
  async upload(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Req() req: FastifyRequest): Promise<MediaAssetResponse> {
    const file = await readFilePart(req);
    return MediaAssetResponse.from(await this.library.upload(tenant.id, actor, file), tenant.slug);
  }

  @Get()
  @Roles(...STAFF)
  @ApiOperation({ summary: 'The media library, newest first' })
  @ApiOkResponse({ type: MediaAssetPageResponse })
  async list(@CurrentTenant() tenant: TenantEntity, @Query() q: MediaQueryDto): Promise<PageResponse<MediaAssetResponse>> {
    const page = await this.library.list(tenant.id, { limit: q.limit, offset: q.offset }, { kind: q.kind });
    return mapPage(page, (a) => MediaAssetResponse.from(a, tenant.slug));
  }

  @Get(':id')
  @Roles(...STAFF)
  @ApiOkResponse({ type: MediaAssetResponse })
  async get(@CurrentTenant() tenant: TenantEntity, @Param('id', mediaId) id: string): Promise<MediaAssetResponse> {
    return MediaAssetResponse.from(await this.library.get(tenant.id, id), tenant.slug);
  }

  @Get(':id/content')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'The file as stored (what citizens receive)' })
  @ApiProduces('image/jpeg', 'image/png', 'application/pdf', 'application/octet-stream')
  async content(@CurrentTenant() tenant: TenantEntity, @Param('id', mediaId) id: string, @Res() reply: FastifyReply): Promise<void> {
    const { asset, bytes } = await this.library.read(tenant.id, id);
    await reply
      .header('content-type', asset.mimeType)
      .header('content-disposition', `${asset.kind === 'image' ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(asset.filename)}`)
      .header('x-content-sha256', asset.sha256)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'private, no-store')
      .send(bytes);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles(...STAFF)
  @ApiOperation({ summary: 'Delete a file no campaign can still send (409 naming the campaigns and schedules that keep it)' })
  @ApiNoContentResponse()
  async delete(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity, @Param('id', mediaId) id: string): Promise<void> {
    await this.library.delete(tenant.id, actor, id);
  }
}

/** The one part named `file` of a multipart upload; anything else is refused, like unknown JSON fields. */
async function readFilePart(req: FastifyRequest): Promise<{ bytes: Buffer; filename: string }> {
  if (!req.isMultipart()) {
    throw new ValidationError('send the file as multipart/form-data, in a part named "file"', undefined, 'MEDIA_MULTIPART_REQUIRED');
  }
  let file: { bytes: Buffer; filename: string } | undefined;
  const unexpected: string[] = [];
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file' && part.fieldname === 'file' && !file) file = { bytes: await part.toBuffer(), filename: part.filename };
      else {
        if (part.type === 'file') await part.toBuffer();
        unexpected.push(part.fieldname);
      }
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new MediaTooLargeError(
        `the file is over ${formatBytes(MAX_LIBRARY_FILE_BYTES)}, the most WhatsApp sends for any document`,
        MAX_LIBRARY_FILE_BYTES,
      );
    }
    throw err;
  }
  if (unexpected.length > 0) {
    throw new ValidationError(`unexpected part ${unexpected.map((n) => `"${n}"`).join(', ')}: send only the file, in a part named "file"`, {
      fields: unexpected,
    });
  }
  if (!file) throw new ValidationError('no file: send it in a part named "file"', undefined, 'MEDIA_MULTIPART_REQUIRED');
  return file;
}
