import type { AddressInfo } from 'node:net';
import fastifyMultipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger, PinoNestLogger, redactUrl, type Logger } from '#common';
import { SimulatorSettings } from './config/simulator-settings.js';
import { MessagesController } from './graph/messages.controller.js';
import { MessagesService } from './graph/messages.service.js';
import { SimulatorExceptionFilter } from './http/simulator-exception.filter.js';
import { SimulatorModule } from './simulator.module.js';

export interface SimulatorAppOptions {
  /** Base of media download URLs and paging links; the address the app listens on when left out. */
  publicUrl?: string;
  /** Wait before each status webhook (SIMULATOR_STATUS_DELAY_MS); 200 ms when left out. */
  statusDelayMs?: number;
  /** Waits between webhook retries after a failed delivery. */
  webhookRetryDelaysMs?: number[];
  /** How long one webhook POST may take. */
  webhookTimeoutMs?: number;
  logLevel?: string;
  logger?: Logger;
}

/** JSON bodies of the control API carry base64 photos; Meta's own limit on uploads is 100 MB. */
const BODY_LIMIT_BYTES = 25 * 1024 * 1024;
const UPLOAD_LIMIT_BYTES = 100 * 1024 * 1024;

/**
 * Builds the simulator app without listening: main.ts listens on SIMULATOR_HOST:SIMULATOR_PORT,
 * tests on port 0 (`await app.listen(0, '127.0.0.1')`).
 */
export async function createSimulatorApp(options: SimulatorAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? 'info', name: 'araldo-simulator' });
  const settings = new SimulatorSettings(options);
  const adapter = new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES });
  const fastify = adapter.getInstance();
  fastify.addHook('onResponse', (request, reply, done) => {
    // Checked first: the masked URL is not worth building for a line that is not written (every send).
    if (logger.isLevelEnabled('debug'))
      logger.debug(
        { method: request.method, url: redactUrl(request.url), statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        'request completed',
      );
    done();
  });

  const app = await NestFactory.create<NestFastifyApplication>(SimulatorModule.forRoot(settings), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  await app.register(fastifyMultipart, { limits: { fileSize: UPLOAD_LIMIT_BYTES, files: 1, fields: 10 } });
  const errors = new SimulatorExceptionFilter();
  app.useGlobalFilters(errors);
  new MessagesController(app.get(MessagesService), errors).register(fastify);

  if (settings.publicUrl === null) {
    const server = app.getHttpServer();
    server.once('listening', () => {
      const { address, port, family } = server.address() as AddressInfo;
      const host = address === '0.0.0.0' || address === '::' ? 'localhost' : family === 'IPv6' ? `[${address}]` : address;
      settings.publicUrl = `http://${host}:${port}`;
    });
  }
  return app;
}
