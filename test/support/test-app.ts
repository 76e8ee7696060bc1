import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createLogger, type AppConfig } from '#common';
import { createApiApp } from '../../apps/api/src/app.factory.js';
import { migrateTestDatabase } from './database.js';
import { testConfig } from './test-config.js';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** Base URL when created with { listen: true } (the simulator posts webhooks to it). */
  url: string;
  http: () => ReturnType<typeof request>;
  /** Every line the app logged, parsed: lets tests assert what never reaches a log. */
  logs: () => Record<string, unknown>[];
  close: () => Promise<void>;
}

/** The whole API over real PostgreSQL and Redis, migrated with the real migrations. */
export async function createTestApp(overrides: Record<string, string> = {}, options: { listen?: boolean } = {}): Promise<TestApp> {
  const config = testConfig({ LOG_LEVEL: 'info', ...overrides });
  await migrateTestDatabase(config);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: config.logLevel, name: 'araldo-api-test', destination: sink });
  const app = await createApiApp(config, logger);
  let url = '';
  if (options.listen) {
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    url = url.replace('[::1]', '127.0.0.1');
  } else {
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  }
  return {
    app,
    config,
    url,
    http: () => request(app.getHttpServer()),
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    close: () => app.close(),
  };
}
