import { Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MediaService, type MediaInfoResponse, type MediaUpload } from './media.service.js';

@Controller()
export class MediaController {
  constructor(private readonly media: MediaService) {}

  @Post(':version/:phoneNumberId/media')
  @HttpCode(200)
  upload(
    @Param('version') version: string,
    @Param('phoneNumberId') phoneNumberId: string,
    @Headers('authorization') authorization: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<{ id: string }> {
    return this.media.upload(version, phoneNumberId, authorization, () => readMultipart(request));
  }

  @Get('media-download/:mediaId')
  download(
    @Param('mediaId') mediaId: string,
    @Query('token') token: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Res() reply: FastifyReply,
  ): void {
    const media = this.media.download(mediaId, token, authorization);
    void reply
      .header('content-type', media.mimeType)
      .header('content-length', String(media.fileSize))
      .header('content-disposition', `attachment; filename="${(media.filename ?? media.id).replace(/["\\\r\n]/g, '_')}"`)
      .send(media.bytes);
  }

  @Get(':version/:mediaId')
  info(
    @Param('version') version: string,
    @Param('mediaId') mediaId: string,
    @Query('phone_number_id') phoneNumberId: string | undefined,
    @Headers('authorization') authorization: string | undefined,
  ): MediaInfoResponse {
    return this.media.info(version, mediaId, authorization, phoneNumberId);
  }

  @Delete(':version/:mediaId')
  delete(
    @Param('version') version: string,
    @Param('mediaId') mediaId: string,
    @Query('phone_number_id') phoneNumberId: string | undefined,
    @Headers('authorization') authorization: string | undefined,
  ): { success: true } {
    return this.media.delete(version, mediaId, authorization, phoneNumberId);
  }
}

/** The text fields and the (first) file of a multipart upload; no file when the body is not multipart. */
async function readMultipart(request: FastifyRequest): Promise<MediaUpload> {
  const upload: MediaUpload = { fields: {} };
  if (!request.isMultipart()) return upload;
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      const bytes = await part.toBuffer();
      if (!upload.file && part.fieldname === 'file') upload.file = { bytes, mimeType: part.mimetype, filename: part.filename };
    } else if (typeof part.value === 'string') {
      upload.fields[part.fieldname] = part.value;
    }
  }
  return upload;
}
