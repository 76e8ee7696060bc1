import { createServer, connect, type Server, type Socket } from 'node:net';
import { Test } from '@nestjs/testing';
import { AppConfigModule } from '#common';
import { DatabaseModule, TenantDb } from '#database';
import { testConfig } from '../support/test-config.js';

/**
 * A TCP stand-in in front of the test's PostgreSQL that cuts the first `cut` connections as soon as
 * they open (what a client sees while the server restarts), then passes the rest through.
 */
class CuttingProxy {
  connections = 0;
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly cut: number,
  ) {}

  async start(): Promise<number> {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      if (++this.connections <= this.cut) {
        client.destroy();
        return;
      }
      const upstream = connect(this.target.port, this.target.host);
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('DatabaseModule at start-up', () => {
  const base = testConfig();
  const target = new URL(base.database.url);

  async function open(url: URL, cut: number) {
    const proxy = new CuttingProxy({ host: target.hostname, port: Number(target.port || 5432) }, cut);
    const port = await proxy.start();
    const viaProxy = new URL(url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(port);
    const config = testConfig({ DATABASE_URL: viaProxy.toString() });
    const started = Test.createTestingModule({
      imports: [AppConfigModule.forRoot(config), DatabaseModule.forRoot(config, { connectRetryDelayMs: 50 })],
    })
      .setLogger({ log: () => undefined, error: () => undefined, warn: () => undefined })
      .compile();
    return { proxy, started };
  }

  it('opens its connection again when PostgreSQL cuts it, and then serves queries', async () => {
    const { proxy, started } = await open(target, 3);
    try {
      const moduleRef = await started;
      try {
        const seen = await moduleRef.get(TenantDb).withoutTenant((m) => m.query<{ one: number }[]>('SELECT 1 AS one'));
        expect(seen).toEqual([{ one: 1 }]);
        // The three cut connections, then the ones that worked.
        expect(proxy.connections).toBeGreaterThan(3);
      } finally {
        await moduleRef.close();
      }
    } finally {
      await proxy.stop();
    }
  });

  it('does not wait for a database that does not exist: its error at once', async () => {
    const missing = new URL(target);
    missing.pathname = '/araldo_no_such_database';
    const { proxy, started } = await open(missing, 0);
    try {
      await expect(started).rejects.toMatchObject({ code: '3D000' });
      expect(proxy.connections).toBe(1);
    } finally {
      await proxy.stop();
    }
  });
});
