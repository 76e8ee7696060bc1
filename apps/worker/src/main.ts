import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger, loadAppConfigOrExit, loadDotEnv, PinoNestLogger } from '#common';
import { assertDatabaseReadyOrExit } from '#database';
import { WorkerModule } from './worker.module.js';

/**
 * The worker has no HTTP server. On SIGTERM or SIGINT Nest closes the Bull queues, which stop
 * taking new jobs and wait for the ones in progress to finish before the process exits.
 */
async function main(): Promise<void> {
  loadDotEnv();
  const config = loadAppConfigOrExit();
  const logger = createLogger({ level: config.logLevel, name: 'araldo-worker' });
  await assertDatabaseReadyOrExit(config, 'araldo-worker');
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.init();
  logger.info('araldo worker started');
}

main().catch((err: unknown) => {
  process.stderr.write(`araldo-worker failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
