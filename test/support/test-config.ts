import { loadAppConfig, type AppConfig } from '#common';

/** The validated configuration of the test environment (test/support/env.cjs), with overrides. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadAppConfig({ ...process.env, ...overrides });
}
