import { Body, Controller, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MessagesService, type SendResponse } from './messages.service.js';

@Controller()
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post(':version/:phoneNumberId/messages')
  @HttpCode(200)
  send(
    @Param('version') version: string,
    @Param('phoneNumberId') phoneNumberId: string,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SendResponse | { success: true }> {
    // A held response (acceptThenTimeout) ends as soon as the client gives up on it.
    const hangUp = new AbortController();
    reply.raw.once('close', () => hangUp.abort());
    return this.messages.handle({ version, phoneNumberId, authorization, body, signal: hangUp.signal });
  }
}
