import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { NumbersService, ProviderAppsService, TenantsService, UsersService } from '#domain';
import { TenantRepository } from '#database';

export interface DemoCredential {
  role: string;
  comune: string | null;
  email: string;
  password: string;
}

interface DemoComune {
  slug: string;
  displayName: string;
  websiteUrl: string;
  phoneNumberId: string;
  displayNumber: string;
  /** One WhatsApp Business Account per comune, as Meta recommends for public bodies (reference §4.2). */
  wabaId: string;
}

/** The demo consortium: three comuni of Carnia side by side, each with its number on the simulator. */
export const DEMO_COMUNI: DemoComune[] = [
  {
    slug: 'amaro',
    displayName: 'Comune di Amaro',
    websiteUrl: 'https://www.comune.amaro.ud.it',
    phoneNumberId: '100000000000001',
    displayNumber: '+39 320 000 0001',
    wabaId: '200000000000001',
  },
  {
    slug: 'cavazzo-carnico',
    displayName: 'Comune di Cavazzo Carnico',
    websiteUrl: 'https://www.comune.cavazzo-carnico.ud.it',
    phoneNumberId: '100000000000002',
    displayNumber: '+39 320 000 0002',
    wabaId: '200000000000002',
  },
  {
    slug: 'verzegnis',
    displayName: 'Comune di Verzegnis',
    websiteUrl: 'https://www.comune.verzegnis.ud.it',
    phoneNumberId: '100000000000003',
    displayNumber: '+39 320 000 0003',
    wabaId: '200000000000003',
  },
];

const randomSecret = (bytes = 24): string => randomBytes(bytes).toString('base64url');

@Injectable()
export class DemoSeeder {
  constructor(
    private readonly tenantRepo: TenantRepository,
    private readonly tenants: TenantsService,
    private readonly providerApps: ProviderAppsService,
    private readonly numbers: NumbersService,
    private readonly users: UsersService,
  ) {}

  /** True when the database holds no comune yet: the demo is seeded only on a first run. */
  async isEmpty(): Promise<boolean> {
    return (await this.tenantRepo.listUnscoped({ limit: 1, offset: 0 })).total === 0;
  }

  /** Seeds the demo and returns the generated credentials (no fixed password ships). */
  async seed(): Promise<DemoCredential[]> {
    const credentials: DemoCredential[] = [];
    const operatorPassword = randomSecret(15);
    await this.users.createOperator('operatore@araldo.local', operatorPassword, 'Operatore del consorzio');
    credentials.push({ role: 'operator', comune: null, email: 'operatore@araldo.local', password: operatorPassword });

    const app = await this.providerApps.create({
      name: 'Simulatore WhatsApp integrato',
      kind: 'simulator',
      appId: 'araldo-simulator',
      appSecret: randomSecret(),
      verifyToken: randomSecret(),
    });

    for (const c of DEMO_COMUNI) {
      const tenant = await this.tenants.create(null, {
        slug: c.slug,
        displayName: c.displayName,
        status: 'live',
        mode: 'one_way',
        timezone: 'Europe/Rome',
        websiteUrl: c.websiteUrl,
      });
      await this.numbers.add(null, tenant.id, {
        providerAppId: app.id,
        label: 'Notizie dal Comune',
        phoneNumberId: c.phoneNumberId,
        displayNumber: c.displayNumber,
        wabaId: c.wabaId,
        businessPortfolioId: c.wabaId.replace(/^2/, '3'),
        messagingTier: 'tier_2k',
        accessToken: `sim-${randomSecret()}`,
      });
      const email = `redazione@${c.slug}.araldo.local`;
      const password = randomSecret(15);
      await this.users.createInTenant(null, tenant.id, { email, password, role: 'editor', displayName: `Redazione ${c.displayName}` });
      credentials.push({ role: 'editor', comune: c.slug, email, password });
    }
    return credentials;
  }
}
