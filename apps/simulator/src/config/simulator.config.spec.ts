import { loadSimulatorConfig, SimulatorConfigError } from './simulator.config.js';

describe('loadSimulatorConfig', () => {
  it('has a default for every variable, bound to loopback', () => {
    expect(loadSimulatorConfig({})).toEqual({
      port: 3100,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:3100',
      statusDelayMs: 200,
      logLevel: 'info',
    });
  });

  it('reads the variables and trims a trailing slash off the public URL', () => {
    expect(
      loadSimulatorConfig({
        SIMULATOR_PORT: '4100',
        SIMULATOR_HOST: '0.0.0.0',
        SIMULATOR_PUBLIC_URL: 'https://sim.example.it/',
        SIMULATOR_STATUS_DELAY_MS: '0',
        LOG_LEVEL: 'debug',
      }),
    ).toEqual({ port: 4100, host: '0.0.0.0', publicUrl: 'https://sim.example.it', statusDelayMs: 0, logLevel: 'debug' });
  });

  it('names every invalid variable on its own line', () => {
    const error = (() => {
      try {
        loadSimulatorConfig({ SIMULATOR_PORT: 'eighty', SIMULATOR_PUBLIC_URL: 'localhost:3100', LOG_LEVEL: 'loud' });
      } catch (err) {
        return err as SimulatorConfigError;
      }
      throw new Error('expected a configuration error');
    })();
    expect(error).toBeInstanceOf(SimulatorConfigError);
    expect(error.problems).toEqual([
      'SIMULATOR_PORT must be a TCP port between 0 and 65535',
      'SIMULATOR_PUBLIC_URL must be an http(s) URL',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });
});
