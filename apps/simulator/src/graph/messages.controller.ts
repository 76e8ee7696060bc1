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
    // A held response (latency, acceptThenTimeout) ends as soon as the client gives up on it. Made
    // only for those: a controller and a listener per request cost the simulator's hot path.
    let signal: AbortSignal | undefined;
    const hangUp = (): AbortSignal => {
      if (!signal) {
        const controller = new AbortController();
        if (reply.raw.destroyed) controller.abort();
        else reply.raw.once('close', () => controller.abort());
        signal = controller.signal;
      }
      return signal;
    };
    return this.messages.handle({ version, phoneNumberId, authorization, body, hangUp });
  }
}
