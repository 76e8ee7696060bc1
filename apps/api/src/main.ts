import 'reflect-metadata';
import { createLogger, loadAppConfigOrExit, loadDotEnv } from '#common';
import { assertDatabaseReadyOrExit } from '#database';
import { createApiApp } from './app.factory.js';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadAppConfigOrExit();
  const logger = createLogger({ level: config.logLevel, name: 'araldo-api' });
  await assertDatabaseReadyOrExit(config, 'araldo-api');
  const app = await createApiApp(config, logger);
  await app.listen({ port: config.api.port, host: config.api.host });
  logger.info({ url: config.api.publicBaseUrl, docs: `${config.api.publicBaseUrl}/docs` }, 'araldo api listening');
}

main().catch((err: unknown) => {
  process.stderr.write(`araldo-api failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
