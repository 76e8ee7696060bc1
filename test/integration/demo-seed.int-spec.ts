import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { asTenantId } from '#common';
import { SubscriptionConfigRepository, TenantRepository } from '#database';
import { CliModule } from '../../apps/cli/src/cli.module.js';
import { DEMO_COMUNI, DemoSeeder } from '../../apps/cli/src/demo-seeder.js';
import { SimulatorSetup } from '../../apps/cli/src/simulator-setup.js';
import { createSimulatorApp } from '../../apps/simulator/src/simulator.factory.js';
import { SimulatorClient } from '../../apps/simulator/src/simulator-client.js';
import { migrateTestDatabase } from '../support/database.js';
import { uniq } from '../support/factories.js';
import { testConfig } from '../support/test-config.js';

/** What `npm start` seeds on a first run, and how it tells the simulator about it. */
describe('demo seed', () => {
  let simulator: NestFastifyApplication;
  let cli: INestApplicationContext;
  let simUrl: string;

  beforeAll(async () => {
    simulator = await createSimulatorApp({ logLevel: 'silent' });
    await simulator.listen(0, '127.0.0.1');
    simUrl = (await simulator.getUrl()).replace('[::1]', '127.0.0.1');
    const config = testConfig({ SIMULATOR_BASE_URL: simUrl, REDIS_KEY_PREFIX: `{araldo-test-seed-${uniq()}}` });
    await migrateTestDatabase(config);
    cli = await NestFactory.createApplicationContext(CliModule.forRoot(config), { logger: false });
  });
  afterAll(async () => {
    await cli.close();
    await simulator.close();
  });

  it('seeds the seven comuni with their presets, numbers and editors, and registers the numbers with the simulator', async () => {
    const credentials = await cli.get(DemoSeeder).seed();
    expect(credentials.map((c) => c.comune)).toEqual([null, ...DEMO_COMUNI.map((c) => c.slug)]);
    for (const c of credentials) expect(c.password.length).toBeGreaterThanOrEqual(16);

    const tenants = cli.get(TenantRepository);
    const config = cli.get(SubscriptionConfigRepository);
    const sanRomano = (await tenants.findBySlugUnscoped('san-romano-in-garfagnana'))!;
    expect(sanRomano).toMatchObject({ mode: 'two_way', displayName: 'Comune di San Romano in Garfagnana' });
    const tid = asTenantId(sanRomano.id);
    expect((await config.getSettings(tid))!.requiredFields).toEqual(['first_name', 'last_name', 'frazione']);
    expect((await config.lists(tid)).map((l) => l.hashtag)).toEqual(['#EMERGENZE', "#PUBBLICAUTILITA'"]);
    const amaro = (await tenants.findBySlugUnscoped('amaro'))!;
    expect(amaro.mode).toBe('one_way');
    expect((await config.rules(asTenantId(amaro.id))).map((r) => r.phrases)).toEqual([['ATTIVA'], ['DISATTIVA']]);

    // Every simulator app's numbers are registered; other suites sharing the test database add theirs.
    const registered = await cli.get(SimulatorSetup).register();
    expect(registered).toBeGreaterThanOrEqual(7);
    const sim = new SimulatorClient(simUrl);
    const numbers = await sim.listNumbers();
    expect(numbers.map((n) => n.phoneNumberId)).toEqual(expect.arrayContaining(DEMO_COMUNI.map((c) => c.phoneNumberId)));
    expect(JSON.stringify(numbers)).not.toMatch(/sim-|secret/i);
    expect((await sim.listTemplates('200000000000001')).map((t) => t.name).sort()).toEqual([
      'allerta_meteo',
      'avviso_generico',
      'conferma_iscrizione',
      'eventi_settimana',
      'informativa_aggiornata',
    ]);
  });
});
