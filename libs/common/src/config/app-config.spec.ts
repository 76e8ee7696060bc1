import { ConfigValidationError, loadAppConfig } from './app-config.js';

const valid = {
  JWT_SECRET: 'x'.repeat(40),
  ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')},k0:${Buffer.alloc(32, 2).toString('base64')}`,
};

function problems(env: Record<string, string>): string[] {
  try {
    loadAppConfig(env);
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadAppConfig', () => {
  it('applies the developer-machine defaults', () => {
    const config = loadAppConfig(valid);
    expect(config.database.url).toBe('postgres://postgres@127.0.0.1:5432/araldo');
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', keyPrefix: '{araldo}' });
    expect(config.jwt.accessTtlSeconds).toBe(900);
    expect(config.encryptionKeys.map((k) => k.id)).toEqual(['k1', 'k0']);
    expect(config.encryptionKeys[0].key).toHaveLength(32);
  });

  it('names a missing variable and what it expects, one line each', () => {
    expect(problems({ ENCRYPTION_KEYS: valid.ENCRYPTION_KEYS })).toEqual([
      'JWT_SECRET is required: a random string of at least 32 characters (npm start writes one to .env)',
    ]);
  });

  it.each([
    [{ JWT_SECRET: 'short' }, /^JWT_SECRET must be at least 32 characters long$/],
    [{ API_PORT: '70000' }, /^API_PORT must be a TCP port between 1 and 65535$/],
    [{ API_PORT: 'abc' }, /^API_PORT must be a TCP port between 1 and 65535$/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must be a postgres:\/\/ URL$/],
    [{ REDIS_KEY_PREFIX: 'araldo' }, /^REDIS_KEY_PREFIX must be a Redis Cluster hash tag/],
    [{ ENCRYPTION_KEYS: 'k1:tooshort' }, /^ENCRYPTION_KEYS must be comma-separated keyId:base64key pairs/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of/],
    [{ TRUST_PROXY: 'maybe' }, /^TRUST_PROXY must be true or false$/],
  ])('rejects %j', (override, message) => {
    const found = problems({ ...valid, ...override });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('rejects a repeated encryption key id', () => {
    const k = Buffer.alloc(32, 3).toString('base64');
    expect(problems({ ...valid, ENCRYPTION_KEYS: `a:${k},a:${k}` })).toEqual(['ENCRYPTION_KEYS must not repeat a key id']);
  });
});
