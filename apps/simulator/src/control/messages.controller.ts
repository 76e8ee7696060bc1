import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { NotFoundError } from '#common';
import { ZodValidationPipe } from '../http/zod-validation.pipe.js';
import { MediaStoreService, type MediaUploadView } from '../media/media-store.service.js';
import { MessageLogService, type ConversationEntry, type ConversationSummary, type OutboundRecord } from '../state/message-log.service.js';
import { ControlService } from './control.service.js';
import { conversationQuery, mediaUploadsQuery, messagesQuery, windowSchema, type MessagesQuery, type WindowBody } from './control.schemas.js';

export interface ConversationView {
  phoneNumberId: string;
  waId: string;
  windowOpenUntil: string | null;
  messages: ConversationEntry[];
}

@Controller('_sim')
export class MessagesLogController {
  constructor(
    private readonly log: MessageLogService,
    private readonly control: ControlService,
    private readonly media: MediaStoreService,
  ) {}

  /** Every accepted outbound message, in order. */
  @Get('messages')
  messages(@Query(new ZodValidationPipe(messagesQuery)) query: MessagesQuery): OutboundRecord[] {
    return this.log.listOutbound(query);
  }

  /** One conversation in both directions, or the list of a number's conversations without waId. */
  @Get('conversations')
  conversations(
    @Query(new ZodValidationPipe(conversationQuery)) query: { phoneNumberId: string; waId?: string },
  ): ConversationView | ConversationSummary[] {
    if (query.waId === undefined) return this.log.conversations(query.phoneNumberId);
    const waId = query.waId.replace(/\D/g, '');
    const until = this.log.windowOpenUntil(query.phoneNumberId, waId);
    return {
      phoneNumberId: query.phoneNumberId,
      waId,
      windowOpenUntil: until === null ? null : new Date(until).toISOString(),
      messages: this.log.conversation(query.phoneNumberId, waId),
    };
  }

  /** Moves a citizen's last message in time, to test what happens once the 24 h window has closed. */
  @Post('windows')
  @HttpCode(200)
  setWindow(@Body(new ZodValidationPipe(windowSchema)) body: WindowBody): { windowOpenUntil: string | null } {
    return this.control.setWindow(body.phoneNumberId, body.waId, body.lastInboundAt);
  }

  /** The business's media uploads (POST /{phone-number-id}/media), oldest first, without their bytes. */
  @Get('media-uploads')
  mediaUploads(@Query(new ZodValidationPipe(mediaUploadsQuery)) query: { phoneNumberId?: string }): MediaUploadView[] {
    return this.media.uploads(query.phoneNumberId);
  }

  /** Forgets a media id as Meta does after 30 days: sends that use it fail from now on. */
  @Post('media/:mediaId/expire')
  @HttpCode(200)
  expireMedia(@Param('mediaId') mediaId: string): { success: true } {
    if (!this.media.delete(mediaId)) throw new NotFoundError('Media');
    return { success: true };
  }

  /** The bytes of any stored media, without a token: for the phone page only. */
  @Get('media/:mediaId')
  mediaBytes(@Param('mediaId') mediaId: string, @Res() reply: FastifyReply): void {
    const media = this.media.find(mediaId);
    if (!media) throw new NotFoundError('Media');
    const name = (media.filename ?? media.id).replace(/["\\\r\n]/g, '_');
    void reply
      .header('content-type', media.mimeType)
      .header('content-disposition', `inline; filename="${name.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`)
      .header('cache-control', 'no-store')
      .send(media.bytes);
  }
}
