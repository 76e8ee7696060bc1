import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsString, IsUrl, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

const toFloat = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
const toInt = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value);
const toBool = ({ value }: { value: unknown }): unknown =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

/**
 * The environment the processes accept. Each property documents what it expects, because the
 * message printed at boot is built from these constraints (see .env.example for every variable).
 */
export class EnvironmentVariables {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV = 'development';

  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/araldo';

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number between 1 and 200' })
  @Min(1, { message: 'must be a whole number between 1 and 200' })
  @Max(200, { message: 'must be a whole number between 1 and 200' })
  DATABASE_POOL_SIZE = 10;

  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Matches(/^\{[a-z0-9_-]+\}$/, { message: 'must be a Redis Cluster hash tag such as {araldo}' })
  REDIS_KEY_PREFIX = '{araldo}';

  @IsString()
  API_HOST = '127.0.0.1';

  @Transform(toInt)
  @IsInt({ message: 'must be a TCP port between 1 and 65535' })
  @Min(1, { message: 'must be a TCP port between 1 and 65535' })
  @Max(65535, { message: 'must be a TCP port between 1 and 65535' })
  API_PORT = 3000;

  @IsUrl({ require_tld: false, require_protocol: true }, { message: 'must be an http(s) URL' })
  PUBLIC_BASE_URL = 'http://localhost:3000';

  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  TRUST_PROXY = false;

  @IsString({ message: 'is required: a random string of at least 32 characters (npm start writes one to .env)' })
  @MinLength(32, { message: 'must be at least 32 characters long' })
  JWT_SECRET!: string;

  @IsString()
  @MinLength(1)
  JWT_ISSUER = 'araldo';

  @IsString()
  @MinLength(1)
  JWT_AUDIENCE = 'araldo-api';

  @Transform(toInt)
  @IsInt({ message: 'must be a number of seconds between 60 and 3600' })
  @Min(60, { message: 'must be a number of seconds between 60 and 3600' })
  @Max(3600, { message: 'must be a number of seconds between 60 and 3600' })
  JWT_ACCESS_TTL_SECONDS = 900;

  @Transform(toInt)
  @IsInt({ message: 'must be a number of days between 1 and 90' })
  @Min(1, { message: 'must be a number of days between 1 and 90' })
  @Max(90, { message: 'must be a number of days between 1 and 90' })
  REFRESH_TTL_DAYS = 30;

  @IsString({
    message: 'is required: comma-separated keyId:base64key pairs of 32-byte keys, the first one active (npm start writes one to .env)',
  })
  @Matches(/^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=)*$/, {
    message: 'must be comma-separated keyId:base64key pairs, each key 32 bytes in base64 (openssl rand -base64 32)',
  })
  ENCRYPTION_KEYS!: string;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number between 1 and 1000' })
  @Min(1, { message: 'must be a whole number between 1 and 1000' })
  @Max(1000, { message: 'must be a whole number between 1 and 1000' })
  LOGIN_MAX_FAILURES_PER_ACCOUNT = 5;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number between 1 and 100000' })
  @Min(1, { message: 'must be a whole number between 1 and 100000' })
  @Max(100000, { message: 'must be a whole number between 1 and 100000' })
  LOGIN_MAX_ATTEMPTS_PER_IP = 30;

  @Transform(toInt)
  @IsInt({ message: 'must be a number of seconds between 1 and 86400' })
  @Min(1, { message: 'must be a number of seconds between 1 and 86400' })
  @Max(86400, { message: 'must be a number of seconds between 1 and 86400' })
  LOGIN_WINDOW_SECONDS = 900;

  @IsUrl({ require_tld: false, require_protocol: true }, { message: 'must be an http(s) URL' })
  WHATSAPP_GRAPH_BASE_URL = 'https://graph.facebook.com';

  @IsUrl({ require_tld: false, require_protocol: true }, { message: 'must be an http(s) URL' })
  SIMULATOR_BASE_URL = 'http://127.0.0.1:3100';

  /** Where the simulator posts webhooks; empty means PUBLIC_BASE_URL (they differ only inside docker compose). */
  @Matches(/^(https?:\/\/\S+)?$/, { message: 'must be an http(s) URL or empty' })
  SIMULATOR_WEBHOOK_BASE_URL = '';

  @Matches(/^v\d{1,3}\.\d$/, { message: 'must be a Graph API version such as v25.0' })
  WHATSAPP_API_VERSION = 'v25.0';

  @Transform(toInt)
  @IsInt({ message: 'must be milliseconds between 100 and 60000' })
  @Min(100, { message: 'must be milliseconds between 100 and 60000' })
  @Max(60000, { message: 'must be milliseconds between 100 and 60000' })
  WHATSAPP_CONNECT_TIMEOUT_MS = 5000;

  @Transform(toInt)
  @IsInt({ message: 'must be milliseconds between 100 and 120000' })
  @Min(100, { message: 'must be milliseconds between 100 and 120000' })
  @Max(120000, { message: 'must be milliseconds between 100 and 120000' })
  WHATSAPP_REQUEST_TIMEOUT_MS = 20000;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number between 1 and 10000' })
  @Min(1, { message: 'must be a whole number between 1 and 10000' })
  @Max(10000, { message: 'must be a whole number between 1 and 10000' })
  WHATSAPP_MAX_CONNECTIONS = 256;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number between 1 and 1000' })
  @Min(1, { message: 'must be a whole number between 1 and 1000' })
  @Max(1000, { message: 'must be a whole number between 1 and 1000' })
  WEBHOOK_BATCH_MAX = 200;

  @Transform(toInt)
  @IsInt({ message: 'must be milliseconds between 0 and 100' })
  @Min(0, { message: 'must be milliseconds between 0 and 100' })
  @Max(100, { message: 'must be milliseconds between 0 and 100' })
  WEBHOOK_BATCH_WAIT_MS = 4;

  @Transform(toInt)
  @IsInt({ message: 'must be a number of days between 1 and 90' })
  @Min(1, { message: 'must be a number of days between 1 and 90' })
  @Max(90, { message: 'must be a number of days between 1 and 90' })
  WEBHOOK_RAW_RETENTION_DAYS = 7;

  @IsString()
  @MinLength(1)
  MEDIA_STORAGE_DIR = '.data/media';

  @Transform(toInt)
  @IsInt({ message: 'must be a number of bytes between 1024 and 104857600' })
  @Min(1024, { message: 'must be a number of bytes between 1024 and 104857600' })
  @Max(104857600, { message: 'must be a number of bytes between 1024 and 104857600' })
  MEDIA_MAX_BYTES = 26214400;

  /** How long a send with an unknown outcome waits for a receipt before it is sent again (docs/adr/0006). */
  @Transform(toInt)
  @IsInt({ message: 'must be a number of seconds between 2 and 604800' })
  @Min(2, { message: 'must be a number of seconds between 2 and 604800' })
  @Max(604800, { message: 'must be a number of seconds between 2 and 604800' })
  UNKNOWN_OUTCOME_SETTLE_SECONDS = 900;

  /** A message 'sending' this long belongs to a worker that died mid-batch: its outcome becomes unknown. */
  @Transform(toInt)
  @IsInt({ message: 'must be a number of seconds between 2 and 3600' })
  @Min(2, { message: 'must be a number of seconds between 2 and 3600' })
  @Max(3600, { message: 'must be a number of seconds between 2 and 3600' })
  STALE_SENDING_AFTER_SECONDS = 60;

  /** Share of each number's messages-per-second cap the dispatcher uses (docs/adr/0009). */
  @Transform(toFloat)
  @IsNumber({}, { message: 'must be a number between 0.1 and 1' })
  @Min(0.1, { message: 'must be a number between 0.1 and 1' })
  @Max(1, { message: 'must be a number between 0.1 and 1' })
  WHATSAPP_PACING_SHARE = 0.985;

  /** A number idle for a second paces its next two seconds of traffic this much slower (1: never; docs/adr/0009). */
  @Transform(toFloat)
  @IsNumber({}, { message: 'must be a number between 1 and 2' })
  @Min(1, { message: 'must be a number between 1 and 2' })
  @Max(2, { message: 'must be a number between 1 and 2' })
  WHATSAPP_WARM_UP_FACTOR = 1.1;

  /** How often each worker checks that Redis still holds the queues, re-enqueueing from Postgres if not. */
  @Transform(toInt)
  @IsInt({ message: 'must be milliseconds between 200 and 600000' })
  @Min(200, { message: 'must be milliseconds between 200 and 600000' })
  @Max(600000, { message: 'must be milliseconds between 200 and 600000' })
  QUEUE_RECONCILE_INTERVAL_MS = 10000;

  /** Outgoing mail for the inbox's emergency alerts, e.g. smtp://user:pass@mail.example.it:587; empty: no e-mail. */
  @Matches(/^(smtps?:\/\/\S+)?$/, { message: 'must be an smtp:// or smtps:// URL or empty' })
  SMTP_URL = '';

  @Matches(/^(.*<)?[^\s@<>]+@[^\s@<>]+>?$/, { message: 'must be an e-mail address, optionally with a name: araldo <noreply@example.it>' })
  SMTP_FROM = 'araldo <noreply@araldo.local>';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    message: 'must be one of fatal, error, warn, info, debug, trace, silent',
  })
  LOG_LEVEL = 'info';
}

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** The validated, typed configuration every process reads instead of process.env. */
export interface AppConfig {
  nodeEnv: 'development' | 'test' | 'production';
  database: { url: string; poolSize: number };
  redis: { url: string; keyPrefix: string };
  api: { host: string; port: number; publicBaseUrl: string; trustProxy: boolean };
  jwt: { secret: string; issuer: string; audience: string; accessTtlSeconds: number; refreshTtlDays: number };
  encryptionKeys: EncryptionKey[];
  login: { maxFailuresPerAccount: number; maxAttemptsPerIp: number; windowSeconds: number };
  whatsapp: {
    graphBaseUrl: string;
    simulatorBaseUrl: string;
    simulatorWebhookBaseUrl: string;
    apiVersion: string;
    connectTimeoutMs: number;
    requestTimeoutMs: number;
    maxConnections: number;
    unknownOutcomeSettleSeconds: number;
    staleSendingAfterSeconds: number;
    pacingShare: number;
    /** A number idle for a second paces its next two seconds this much slower. */
    warmUpFactor: number;
  };
  queue: { reconcileIntervalMs: number };
  webhooks: { batchMax: number; batchWaitMs: number; rawRetentionDays: number };
  media: { storageDir: string; maxBytes: number };
  smtp: { url: string | null; from: string };
  logLevel: string;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigValidationError';
  }
}

/**
 * Validates the environment and returns the typed configuration. Each problem is one line that
 * names the variable and says what it expects, e.g. `JWT_SECRET must be at least 32 characters long`.
 */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const vars = plainToInstance(EnvironmentVariables, defined, { exposeDefaultValues: true });
  const errors = validateSync(vars, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const problems = errors.map((e) => {
      const reasons = Object.values(e.constraints ?? {});
      const unique = [...new Set(reasons.map((r) => (r.startsWith(`${e.property} `) ? r.slice(e.property.length + 1) : r)))];
      const required = unique.find((r) => r.startsWith('is required'));
      return `${e.property} ${required ?? unique.join('; ')}`;
    });
    throw new ConfigValidationError(problems);
  }
  return {
    nodeEnv: vars.NODE_ENV as AppConfig['nodeEnv'],
    database: { url: vars.DATABASE_URL, poolSize: vars.DATABASE_POOL_SIZE },
    redis: { url: vars.REDIS_URL, keyPrefix: vars.REDIS_KEY_PREFIX },
    api: {
      host: vars.API_HOST,
      port: vars.API_PORT,
      publicBaseUrl: vars.PUBLIC_BASE_URL.replace(/\/+$/, ''),
      trustProxy: vars.TRUST_PROXY,
    },
    jwt: {
      secret: vars.JWT_SECRET,
      issuer: vars.JWT_ISSUER,
      audience: vars.JWT_AUDIENCE,
      accessTtlSeconds: vars.JWT_ACCESS_TTL_SECONDS,
      refreshTtlDays: vars.REFRESH_TTL_DAYS,
    },
    encryptionKeys: parseEncryptionKeys(vars.ENCRYPTION_KEYS),
    login: {
      maxFailuresPerAccount: vars.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxAttemptsPerIp: vars.LOGIN_MAX_ATTEMPTS_PER_IP,
      windowSeconds: vars.LOGIN_WINDOW_SECONDS,
    },
    whatsapp: {
      graphBaseUrl: vars.WHATSAPP_GRAPH_BASE_URL.replace(/\/+$/, ''),
      simulatorBaseUrl: vars.SIMULATOR_BASE_URL.replace(/\/+$/, ''),
      simulatorWebhookBaseUrl: (vars.SIMULATOR_WEBHOOK_BASE_URL || vars.PUBLIC_BASE_URL).replace(/\/+$/, ''),
      apiVersion: vars.WHATSAPP_API_VERSION,
      connectTimeoutMs: vars.WHATSAPP_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: vars.WHATSAPP_REQUEST_TIMEOUT_MS,
      maxConnections: vars.WHATSAPP_MAX_CONNECTIONS,
      unknownOutcomeSettleSeconds: vars.UNKNOWN_OUTCOME_SETTLE_SECONDS,
      staleSendingAfterSeconds: vars.STALE_SENDING_AFTER_SECONDS,
      pacingShare: vars.WHATSAPP_PACING_SHARE,
      warmUpFactor: vars.WHATSAPP_WARM_UP_FACTOR,
    },
    queue: { reconcileIntervalMs: vars.QUEUE_RECONCILE_INTERVAL_MS },
    webhooks: { batchMax: vars.WEBHOOK_BATCH_MAX, batchWaitMs: vars.WEBHOOK_BATCH_WAIT_MS, rawRetentionDays: vars.WEBHOOK_RAW_RETENTION_DAYS },
    media: { storageDir: vars.MEDIA_STORAGE_DIR, maxBytes: vars.MEDIA_MAX_BYTES },
    smtp: { url: vars.SMTP_URL || null, from: vars.SMTP_FROM },
    logLevel: vars.LOG_LEVEL,
  };
}

function parseEncryptionKeys(raw: string): EncryptionKey[] {
  const keys = raw.split(',').map((pair) => {
    const [id, b64] = pair.split(':') as [string, string];
    return { id, key: Buffer.from(b64, 'base64') };
  });
  const ids = new Set(keys.map((k) => k.id));
  if (ids.size !== keys.length) {
    throw new ConfigValidationError(['ENCRYPTION_KEYS must not repeat a key id']);
  }
  return keys;
}

/** Loads `.env` from the working directory when present; real environment variables win. */
export function loadDotEnv(path = '.env'): void {
  try {
    process.loadEnvFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Entry points call this before creating any Nest context: a bad environment stops the process
 * with one line per invalid variable instead of a stack trace.
 */
export function loadAppConfigOrExit(env: NodeJS.ProcessEnv = process.env): AppConfig {
  try {
    return loadAppConfig(env);
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      for (const line of err.problems) process.stderr.write(`Invalid configuration: ${line}\n`);
      process.exit(1);
    }
    throw err;
  }
}
