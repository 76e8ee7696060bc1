import { randomUUID } from 'node:crypto';
import fastifyMultipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { PinoNestLogger, redactUrl, RequestContext, type AppConfig, type Logger } from '#common';
import { MAX_LIBRARY_FILE_BYTES } from '#domain';
import { ApiModule } from './api.module.js';
import { createValidationPipe } from './http/validation.js';
import { WEBHOOK_PATH_PREFIX } from './webhooks/whatsapp-webhook.controller.js';

/** Bodies above this are refused with 413 before they are read (Meta's webhooks stay below 3 MB). */
export const BODY_LIMIT_BYTES = 3 * 1024 * 1024;

/** Subscriber CSV imports (text/csv) may be larger than webhooks: 50,000 rows fit well within it. */
export const CSV_BODY_LIMIT_BYTES = 20 * 1024 * 1024;

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{8,64}$/;

/** Builds the HTTP application; main.ts listens on it, the e2e tests drive it with supertest. */
export async function createApiApp(config: AppConfig, logger: Logger): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.api.trustProxy,
    // A caller's X-Request-Id is kept when it looks like an id, so a request can be followed across services.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    },
  });
  const fastify = adapter.getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    RequestContext.enter({ requestId: String(request.id) });
    void reply.header('x-request-id', String(request.id));
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    // Acknowledged webhooks arrive by the thousand a second: logged at debug, failures at info.
    const quiet = reply.statusCode < 300 && request.url.startsWith(WEBHOOK_PATH_PREFIX);
    logger[quiet ? 'debug' : 'info'](
      {
        requestId: String(request.id),
        method: request.method,
        url: redactUrl(request.url),
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
    done();
  });

  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    rawBody: true,
    abortOnError: false,
  });
  // JSON bodies are kept raw (req.rawBody). A webhook's body is not parsed here at all: its
  // signature must be checked on the exact bytes first, and a signed body that is not JSON must
  // still be stored (see WebhookIntakeService). Every other route gets Fastify's own JSON parser,
  // with its prototype-poisoning protection.
  const jsonParser = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit: BODY_LIMIT_BYTES }, (req, body, done) => {
    if (req.url.startsWith(WEBHOOK_PATH_PREFIX)) return done(null, undefined);
    void jsonParser(req as Parameters<typeof jsonParser>[0], body.toString('utf8'), done);
  });
  // CSV imports of subscriber lists arrive as text/csv: a 50,000-row file is a few megabytes.
  app.useBodyParser('text/csv', { bodyLimit: CSV_BODY_LIMIT_BYTES }, (_req, body, done) => done(null, body.toString('utf8')));
  // Media library uploads (POST .../media): one file, streamed, read no further than the largest
  // file WhatsApp sends (a 100 MB document); the per-type limits are checked on the bytes.
  await app.register(fastifyMultipart, { limits: { files: 1, fields: 5, parts: 6, fileSize: MAX_LIBRARY_FILE_BYTES } });
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('araldo API')
      .setDescription('Multi-tenant WhatsApp channel for comuni. Sign in with POST /api/v1/auth/login, then use "Authorize" with the access token.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', swaggerOptions: { persistAuthorization: true } });
  return app;
}
