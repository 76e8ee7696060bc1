import { randomBytes } from 'node:crypto';
import type { ProviderAppEntity, TenantEntity, WhatsappNumberEntity } from '#database';
import { NumbersService, ProviderAppsService, TenantsService, UsersService } from '#domain';
import type { TestApp } from './test-app.js';

export const uniq = (): string => randomBytes(4).toString('hex');
const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');

export interface Credentials {
  email: string;
  password: string;
  id: string;
}

export interface Session extends Credentials {
  accessToken: string;
  refreshToken: string;
}

export interface Comune {
  tenant: TenantEntity;
  admin: Session;
  editor: Session;
  number: WhatsappNumberEntity;
  /** The number's access token in clear, for the simulator. */
  numberToken: string;
}

export async function createOperator(t: TestApp): Promise<Session> {
  const email = `op-${uniq()}@test.araldo.local`;
  const password = `pw-${uniq()}-${uniq()}`;
  const user = await t.app.get(UsersService).createOperator(email, password);
  return login(t, { email, password, id: user.id });
}

export async function createProviderApp(t: TestApp): Promise<ProviderAppEntity & { plainSecret: string; plainVerifyToken: string }> {
  const plainSecret = `app-secret-${uniq()}${uniq()}`;
  const plainVerifyToken = `verify-token-${uniq()}${uniq()}`;
  const app = await t.app.get(ProviderAppsService).create({
    name: `app ${uniq()}`,
    kind: 'simulator',
    appId: `app-${uniq()}`,
    appSecret: plainSecret,
    verifyToken: plainVerifyToken,
  });
  return { ...app, plainSecret, plainVerifyToken };
}

/** A comune with a tenant_admin, an editor (both signed in) and one number. */
export async function createComune(t: TestApp, base: string, providerApp?: ProviderAppEntity): Promise<Comune> {
  const app = providerApp ?? (await createProviderApp(t));
  const tenant = await t.app.get(TenantsService).create(null, { slug: `${base}-${uniq()}`, displayName: `Comune di ${base}` });
  const users = t.app.get(UsersService);
  const mk = async (role: 'tenant_admin' | 'editor'): Promise<Session> => {
    const email = `${role}-${uniq()}@${tenant.slug}.test`;
    const password = `pw-${uniq()}-${uniq()}`;
    const user = await users.createInTenant(null, tenant.id, { email, password, role });
    return login(t, { email, password, id: user.id });
  };
  const numberToken = `EAAG-access-token-${uniq()}${uniq()}`;
  const number = await t.app.get(NumbersService).add(null, tenant.id, {
    providerAppId: app.id,
    phoneNumberId: `1${digits(14)}`,
    displayNumber: `+39 320 ${digits(7)}`,
    wabaId: digits(15),
    accessToken: numberToken,
  });
  return { tenant, admin: await mk('tenant_admin'), editor: await mk('editor'), number, numberToken };
}

export async function login(t: TestApp, creds: Credentials): Promise<Session> {
  const res = await t.http().post('/api/v1/auth/login').send({ email: creds.email, password: creds.password });
  if (res.status !== 200) throw new Error(`login failed for test user: ${res.status} ${JSON.stringify(res.body)}`);
  const body = res.body as { accessToken: string; refreshToken: string };
  return { ...creds, accessToken: body.accessToken, refreshToken: body.refreshToken };
}

export const bearer = (s: { accessToken: string }): [string, string] => ['Authorization', `Bearer ${s.accessToken}`];
