import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createSimulatorApp } from '../../apps/simulator/src/simulator.factory.js';
import { SimulatorClient } from '../../apps/simulator/src/simulator-client.js';
import { createComune, createProviderApp, uniq, type Comune } from './factories.js';
import { tenantApi } from './tenant-api.js';
import { createTestApp, type TestApp } from './test-app.js';
import { startWorker } from './worker.js';

export interface Channel {
  t: TestApp;
  worker: INestApplicationContext;
  simulator: NestFastifyApplication;
  sim: SimulatorClient;
  app: Awaited<ReturnType<typeof createProviderApp>>;
  /**
   * The variables this channel's api was configured with beyond the test environment (Redis key
   * prefix, simulator URL, the overrides): what a worker started as a separate process needs too.
   */
  env: Record<string, string>;
  close: () => Promise<void>;
  /**
   * A comune whose number is registered on the simulator, webhooks pointed at this api; `simMps`
   * sets the simulator's throughput cap for the number (its default otherwise).
   */
  comune: (base: string, opts?: { simMps?: number }) => Promise<Comune>;
  /**
   * An approved UTILITY template `avviso` ("Gentile {{1}}, {{2}}.") on the comune's account, synced,
   * and the comune's message template linked to it (variables `nome`, `avviso`); returns its id.
   */
  utilityTemplate: (c: Comune) => Promise<string>;
}

/** A channel whose worker the test runs itself, e.g. as a separate OS process it can kill. */
export type ChannelWithoutWorker = Omit<Channel, 'worker'>;

/**
 * The whole channel as it runs for real: the built-in simulator as a real HTTP server standing in
 * for Meta, the api listening (the simulator posts signed webhooks to it) and the worker (in this
 * process, unless `{ worker: false }`).
 */
export function startChannel(overrides?: Record<string, string>): Promise<Channel>;
export function startChannel(overrides: Record<string, string>, options: { worker: false }): Promise<ChannelWithoutWorker>;
export async function startChannel(
  overrides: Record<string, string> = {},
  options: { worker?: boolean } = {},
): Promise<Channel | ChannelWithoutWorker> {
  const simulator = await createSimulatorApp({ statusDelayMs: 20, logLevel: 'silent' });
  await simulator.listen(0, '127.0.0.1');
  const simUrl = (await simulator.getUrl()).replace('[::1]', '127.0.0.1');
  const env = { REDIS_KEY_PREFIX: `{araldo-test-channel-${uniq()}}`, SIMULATOR_BASE_URL: simUrl, WHATSAPP_REQUEST_TIMEOUT_MS: '1500', ...overrides };
  const t = await createTestApp(env, { listen: true });
  const worker = options.worker === false ? null : await startWorker(t.config);
  const sim = new SimulatorClient(simUrl);
  const app = await createProviderApp(t);
  const channel: ChannelWithoutWorker = {
    t,
    simulator,
    sim,
    app,
    env,
    comune: async (base: string, opts: { simMps?: number } = {}) => {
      const c = await createComune(t, base, app);
      await sim.registerNumber({
        phoneNumberId: c.number.phoneNumberId,
        wabaId: c.number.wabaId,
        displayPhoneNumber: c.number.displayNumber.slice(1),
        accessToken: c.numberToken,
        appSecret: app.plainSecret,
        webhookUrl: `${t.url}/webhooks/whatsapp/${app.appId}`,
        ...(opts.simMps ? { mps: opts.simMps } : {}),
      });
      return c;
    },
    utilityTemplate: async (c: Comune) => {
      await sim.createTemplate({ wabaId: c.number.wabaId, name: 'avviso', language: 'it', category: 'UTILITY', body: 'Gentile {{1}}, {{2}}.' });
      const api = tenantApi(t);
      await api.post(c, c.admin, '/whatsapp-templates/sync').expect(200);
      const created = await api
        .post(c, c.editor, '/message-templates', {
          name: 'Avviso',
          body: 'Gentile {{nome}}, {{avviso}}.',
          whatsappTemplate: { name: 'avviso', language: 'it', bodyParameters: ['nome', 'avviso'] },
        })
        .expect(201);
      return created.body.id as string;
    },
    close: async () => {
      await worker?.close();
      await t.close();
      await simulator.close();
    },
  };
  return worker ? { ...channel, worker } : channel;
}
