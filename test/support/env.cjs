// The environment every test process sees: its own database and Redis key prefix, fixed test
// secrets (generated keys are not needed here: nothing outlives the run), quiet logs.
const base = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/araldo_test';
Object.assign(process.env, {
  NODE_ENV: 'test',
  DATABASE_URL: base,
  REDIS_URL: process.env.TEST_REDIS_URL || process.env.REDIS_URL || 'redis://127.0.0.1:6379',
  REDIS_KEY_PREFIX: '{araldo-test}',
  JWT_SECRET: 'test-only-jwt-secret-0123456789abcdefghijklmnop',
  ENCRYPTION_KEYS: 'test1:' + Buffer.alloc(32, 7).toString('base64'),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: '5',
  LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
  LOG_LEVEL: 'silent',
  MEDIA_STORAGE_DIR: require('node:path').join(require('node:os').tmpdir(), 'araldo-test-media'),
});
