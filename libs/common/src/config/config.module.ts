import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Clock } from '../clock/clock.js';
import { SecretBox } from '../crypto/secret-box.js';
import type { AppConfig } from './app-config.js';

/** Injection token for the validated {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/**
 * Wraps @nestjs/config: the configuration is validated once by {@link loadAppConfig} in the entry
 * point (so a bad variable stops the process with a clear line) and then injected, typed, everywhere.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ app: config })] })],
      providers: [{ provide: APP_CONFIG, useValue: config }, { provide: SecretBox, useValue: new SecretBox(config.encryptionKeys) }, Clock],
      exports: [APP_CONFIG, SecretBox, Clock],
    };
  }
}
