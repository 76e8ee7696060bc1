import { Module, type DynamicModule } from '@nestjs/common';
import { AppConfigModule, RedisModule, type AppConfig } from '#common';
import { DatabaseModule } from '#database';
import { DomainModule } from '#domain';
import { QueueModule } from '#queue';
import { DemoSeeder } from './demo-seeder.js';
import { SimulatorSetup } from './simulator-setup.js';

/** What the CLI's commands need: the domain services over the application's database role. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule.forRoot(config),
        RedisModule.forRoot(config, 'araldo-cli'),
        QueueModule.forRoot(config),
        DomainModule,
      ],
      providers: [DemoSeeder, SimulatorSetup],
      exports: [DemoSeeder, SimulatorSetup],
    };
  }
}
