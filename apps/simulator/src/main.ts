import 'reflect-metadata';
import { createLogger, loadDotEnv } from '#common';
import { loadSimulatorConfig, SimulatorConfigError, type SimulatorConfig } from './config/simulator.config.js';
import { createSimulatorApp } from './simulator.factory.js';

function loadConfigOrExit(): SimulatorConfig {
  try {
    return loadSimulatorConfig();
  } catch (err) {
    if (err instanceof SimulatorConfigError) {
      for (const line of err.problems) process.stderr.write(`Invalid configuration: ${line}\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, name: 'araldo-simulator' });
  const app = await createSimulatorApp({ publicUrl: config.publicUrl, statusDelayMs: config.statusDelayMs, logger });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen({ port: config.port, host: config.host });
  logger.info({ url: config.publicUrl, page: `${config.publicUrl}/` }, 'WhatsApp Cloud API simulator listening');
}

main().catch((err: unknown) => {
  process.stderr.write(`araldo-simulator failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
