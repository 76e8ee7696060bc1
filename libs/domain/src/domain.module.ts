import { JwtModule } from '@nestjs/jwt';
import { Global, Module } from '@nestjs/common';
import { AuditService } from './audit/audit.service.js';
import { AuthService } from './auth/auth.service.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { PasswordHasher } from './auth/password-hasher.js';
import { NumbersService } from './numbers/numbers.service.js';
import { ProviderAppsService } from './provider-apps/provider-apps.service.js';
import { TenantsService } from './tenants/tenants.service.js';
import { UsersService } from './users/users.service.js';

const SERVICES = [AuditService, AuthService, LoginThrottle, PasswordHasher, NumbersService, ProviderAppsService, TenantsService, UsersService];

/** The feature services. Needs AppConfigModule, DatabaseModule and RedisModule in the importing app. */
@Global()
@Module({
  imports: [JwtModule.register({})],
  providers: SERVICES,
  exports: [...SERVICES, JwtModule],
})
export class DomainModule {}
