import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { loadAppConfigOrExit, loadDotEnv, SecretBox, SecretDecryptionError, type AppConfig } from '#common';
import { createDataSource, ProviderAppEntity, WhatsappNumberEntity } from '#database';
import { UsersService } from '#domain';
import { CliModule } from './cli.module.js';
import { DemoSeeder, type DemoCredential } from './demo-seeder.js';
import { SimulatorSetup } from './simulator-setup.js';
import { ensureEnvFile } from './env-file.js';
import { migrate } from './migrate.js';
import { promptHidden } from './prompt.js';

const HELP = `araldo command line

  npm run cli -- db:migrate                       apply pending database migrations (creates the database if missing)
  npm run cli -- operator:create --email EMAIL [--name NAME]
                                                  create a consortium operator; the password is read from
                                                  ARALDO_OPERATOR_PASSWORD or asked for at the prompt
  npm run cli -- seed:demo                        seed the demo consortium if the database has no comune yet
  npm run cli -- secrets:reencrypt                re-encrypt stored secrets with the first key of ENCRYPTION_KEYS
  npm run cli -- simulator:register               tell the simulator (SIMULATOR_BASE_URL) the simulator apps' numbers,
                                                  tokens and webhook URL, with the demo templates
  npm start                                       (runs "up") migrate, seed on first run, start the simulator, api and worker
`;

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const fail = (line: string): never => {
  process.stderr.write(`${line}\n`);
  process.exit(1);
};

async function withContext<T>(
  config: AppConfig,
  work: (app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>>) => Promise<T>,
): Promise<T> {
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config), { logger: ['error'], abortOnError: false });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

async function cmdMigrate(config: AppConfig): Promise<void> {
  const applied = await migrate(config, say);
  say(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date');
}

async function cmdOperatorCreate(config: AppConfig, argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { email: { type: 'string' }, name: { type: 'string' } } });
  if (!values.email) fail('operator:create needs --email EMAIL');
  let password = process.env.ARALDO_OPERATOR_PASSWORD;
  if (!password) {
    if (!process.stdin.isTTY) fail('no terminal to ask for the password: set ARALDO_OPERATOR_PASSWORD');
    password = await promptHidden('Password (at least 12 characters): ');
    const again = await promptHidden('Repeat the password: ');
    if (again !== password) fail('the passwords differ');
  }
  await withContext(config, async (app) => {
    const user = await app.get(UsersService).createOperator(values.email!, password, values.name ?? null);
    say(`operator ${user.email} created (id ${user.id})`);
  });
}

async function cmdSeedDemo(config: AppConfig): Promise<DemoCredential[] | null> {
  return withContext(config, async (app) => {
    const seeder = app.get(DemoSeeder);
    if (!(await seeder.isEmpty())) return null;
    return seeder.seed();
  });
}

async function cmdReencrypt(config: AppConfig): Promise<void> {
  const box = new SecretBox(config.encryptionKeys);
  const ds = createDataSource(config, 'migrations');
  await ds.initialize();
  let changed = 0;
  try {
    await ds.transaction(async (m) => {
      for (const app of await m.find(ProviderAppEntity)) {
        const patch: Partial<ProviderAppEntity> = {};
        if (box.needsReencryption(app.appSecretEnc)) patch.appSecretEnc = box.encrypt(box.decrypt(app.appSecretEnc));
        if (app.previousAppSecretEnc && box.needsReencryption(app.previousAppSecretEnc)) {
          patch.previousAppSecretEnc = box.encrypt(box.decrypt(app.previousAppSecretEnc));
        }
        if (box.needsReencryption(app.verifyTokenEnc)) patch.verifyTokenEnc = box.encrypt(box.decrypt(app.verifyTokenEnc));
        if (Object.keys(patch).length) {
          await m.update(ProviderAppEntity, { id: app.id }, patch);
          changed++;
        }
      }
      for (const n of await m.find(WhatsappNumberEntity)) {
        if (box.needsReencryption(n.accessTokenEnc)) {
          await m.update(WhatsappNumberEntity, { tenantId: n.tenantId, id: n.id }, { accessTokenEnc: box.encrypt(box.decrypt(n.accessTokenEnc)) });
          changed++;
        }
      }
    });
  } finally {
    await ds.destroy();
  }
  say(`re-encrypted ${changed} row(s) with key "${box.activeKeyId}"; older keys can now be removed from ENCRYPTION_KEYS`);
}

function printCredentials(config: AppConfig, credentials: DemoCredential[]): void {
  const comuneWidth = Math.max(...credentials.map((c) => (c.comune ?? '(all comuni)').length));
  const emailWidth = Math.max(...credentials.map((c) => c.email.length));
  const lines = [
    'Demo consortium seeded. These passwords were generated now and are shown only here',
    '(a copy is in .data/demo-credentials.txt, readable only by you):',
    '',
    ...credentials.map(
      (c) => `  ${c.role.padEnd(9)} ${(c.comune ?? '(all comuni)').padEnd(comuneWidth)}  ${c.email.padEnd(emailWidth)}  ${c.password}`,
    ),
    '',
  ];
  mkdirSync('.data', { recursive: true });
  writeFileSync('.data/demo-credentials.txt', `${lines.join('\n')}\nAPI: ${config.api.publicBaseUrl}/docs\n`, { mode: 0o600 });
  chmodSync('.data/demo-credentials.txt', 0o600);
  say(lines.join('\n'));
}

async function waitForHealth(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

async function cmdUp(): Promise<void> {
  if (ensureEnvFile()) say('wrote .env with freshly generated secrets (JWT_SECRET, ENCRYPTION_KEYS)');
  loadDotEnv();
  const config = loadAppConfigOrExit();
  await cmdMigrate(config);
  const credentials = await cmdSeedDemo(config);
  if (credentials) printCredentials(config, credentials);

  const distApps = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const simulatorUrl = new URL(config.whatsapp.simulatorBaseUrl);
  // The simulator runs here only when its URL is on this machine (docker compose runs its own).
  const runSimulator = ['127.0.0.1', 'localhost', '[::1]'].includes(simulatorUrl.hostname);
  const children: ChildProcess[] = [];
  if (runSimulator) {
    children.push(
      fork(join(distApps, 'simulator', 'src', 'main.js'), {
        stdio: 'inherit',
        env: {
          ...process.env,
          SIMULATOR_HOST: simulatorUrl.hostname.replace(/^\[|\]$/g, ''),
          SIMULATOR_PORT: simulatorUrl.port || '80',
          SIMULATOR_PUBLIC_URL: config.whatsapp.simulatorBaseUrl,
        },
      }),
    );
  }
  children.push(fork(join(distApps, 'api', 'src', 'main.js'), { stdio: 'inherit' }));
  children.push(fork(join(distApps, 'worker', 'src', 'main.js'), { stdio: 'inherit' }));
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    stopping = true;
    for (const child of children) if (child.exitCode === null) child.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  for (const child of children) {
    child.on('exit', (code) => {
      if (!stopping) {
        process.stderr.write(`a process of araldo exited (code ${code ?? 'signal'}); stopping the others\n`);
        stop('SIGTERM');
        process.exitCode = code ?? 1;
      }
    });
  }
  let simulatorLine = `  Simulator   not started here (SIMULATOR_BASE_URL=${config.whatsapp.simulatorBaseUrl})`;
  if (runSimulator && (await waitForHealth(`${config.whatsapp.simulatorBaseUrl}/_sim/health`, 30_000))) {
    try {
      const registered = await withContext(config, (app) => app.get(SimulatorSetup).register());
      simulatorLine = `  Simulator   ${config.whatsapp.simulatorBaseUrl}/  (citizen phone page; ${registered} demo numbers registered)`;
    } catch (err) {
      // The usual cause: .env was deleted and written again with new keys, and the database still
      // holds the numbers' tokens encrypted with the old ones.
      const hint =
        err instanceof SecretDecryptionError
          ? '; the database was set up with other ENCRYPTION_KEYS: put back the .env it was created with, or drop the database to seed a new demo'
          : '';
      simulatorLine = `  Simulator   ${config.whatsapp.simulatorBaseUrl}/  (could not register the numbers: ${(err as Error).message}${hint})`;
    }
  }
  if (await waitForHealth(`http://127.0.0.1:${config.api.port}/health`, 30_000)) {
    say(
      [
        '',
        'araldo is running:',
        `  API         ${config.api.publicBaseUrl}/api/v1`,
        `  Swagger UI  ${config.api.publicBaseUrl}/docs   (OpenAPI JSON at /docs-json)`,
        `  Health      ${config.api.publicBaseUrl}/health`,
        `  Webhook     ${config.api.publicBaseUrl}/webhooks/whatsapp/{appId}  (Meta's callback URL; the simulator's app id is araldo-simulator)`,
        simulatorLine,
        '  Worker      processing queues on Redis',
        'Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    );
  }
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))));
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'up') return cmdUp();
  if (!command || command === 'help' || command === '--help') return void say(HELP);
  loadDotEnv();
  const config = loadAppConfigOrExit();
  switch (command) {
    case 'db:migrate':
      return cmdMigrate(config);
    case 'operator:create':
      return cmdOperatorCreate(config, rest);
    case 'seed:demo': {
      const credentials = await cmdSeedDemo(config);
      if (credentials) printCredentials(config, credentials);
      else say('the database already has comuni: demo not seeded');
      return;
    }
    case 'secrets:reencrypt':
      return cmdReencrypt(config);
    case 'simulator:register': {
      const registered = await withContext(config, (app) => app.get(SimulatorSetup).register());
      say(`registered ${registered} number(s) with the simulator at ${config.whatsapp.simulatorBaseUrl}`);
      return;
    }
    default:
      fail(`unknown command "${command}"\n\n${HELP}`);
  }
}

main().catch((err: unknown) => {
  const e = err as { message?: string; code?: string };
  if (e.code === 'ECONNREFUSED')
    fail(`araldo: a service is not reachable (${e.message}); start PostgreSQL and Redis (local services or "docker compose up -d postgres redis")`);
  fail(`araldo: ${e.message ?? String(err)}`);
});
