import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ApiModule } from '../../apps/api/src/api.module.js';
import { IS_PUBLIC, ROLES } from '../../apps/api/src/http/auth.decorators.js';
import { testConfig } from '../support/test-config.js';

type Ctor = abstract new (...args: never[]) => unknown;
const meta = <T>(key: string, target: object): T | undefined => Reflect.getMetadata(key, target) as T | undefined;

/**
 * Every route with who may call it, against a reviewed snapshot: a route cannot become public, or
 * lose a role restriction, without this test showing it.
 */
describe('route inventory', () => {
  it('lists every route with its access rule', () => {
    const controllers = (ApiModule.forRoot(testConfig()).controllers ?? []) as Ctor[];
    const routes: string[] = [];
    for (const controller of controllers) {
      const base = meta<string>(PATH_METADATA, controller) ?? '';
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = meta<RequestMethod>(METHOD_METADATA, handler);
        if (method === undefined) continue;
        const path = meta<string>(PATH_METADATA, handler) ?? '';
        const isPublic = meta<boolean>(IS_PUBLIC, handler) ?? meta<boolean>(IS_PUBLIC, controller) ?? false;
        const roles = meta<string[]>(ROLES, handler) ?? meta<string[]>(ROLES, controller);
        const access = isPublic ? 'public' : roles ? `roles: ${roles.join(', ')}` : 'any signed-in user';
        const tenantScoped = `${base}/${path}`.includes(':tenant') ? ' [tenant-scoped]' : '';
        const url = `/${base}/${path}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
        routes.push(`${RequestMethod[method].padEnd(6)} ${url}  ${access}${tenantScoped}`);
      }
    }
    expect(routes.sort()).toMatchSnapshot();
  });
});
