import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SimulatorExceptionFilter } from '../http/simulator-exception.filter.js';
import type { MessagesService, SendResponse } from './messages.service.js';

interface MessagesRoute {
  Params: { version: string; phoneNumberId: string };
  Headers: { authorization?: string };
  Body: unknown;
}

/**
 * POST /{version}/{phone-number-id}/messages, Meta's send: the one route a campaign calls once per
 * recipient. Registered on Fastify directly, not as a Nest controller: Nest's router, parameter
 * extraction and promise chain around the handler cost the simulator's CPU on every send, and the
 * simulator shares the machine with what it measures (docs/benchmarks.md, eleventh pass).
 * Errors, Fastify's own included (malformed JSON), get the same Graph-shaped answer from the
 * exception filter as every other route.
 */
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly errors: SimulatorExceptionFilter,
  ) {}

  register(fastify: FastifyInstance): void {
    fastify.route<MessagesRoute>({
      method: 'POST',
      url: '/:version/:phoneNumberId/messages',
      handler: (request, reply) => this.send(request, reply),
      errorHandler: (error, request, reply) => this.errors.replyWith(error, request, reply),
    });
  }

  private send(request: FastifyRequest<MessagesRoute>, reply: FastifyReply): Promise<SendResponse | { success: true }> {
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
    const { version, phoneNumberId } = request.params;
    return this.messages.handle({ version, phoneNumberId, authorization: request.headers.authorization, body: request.body, hangUp });
  }
}
