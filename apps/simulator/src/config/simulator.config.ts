import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const wholeNumber = (min: number, max: number, what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: `must be ${what}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `must be ${what}` })
        .max(max, { message: `must be ${what}` }),
    );

/** The simulator's environment; every variable has a default, so an empty environment is valid. */
const environmentSchema = z.object({
  SIMULATOR_PORT: wholeNumber(0, 65535, 'a TCP port between 0 and 65535').default(3100),
  SIMULATOR_HOST: z.string().trim().min(1, { message: 'must not be empty' }).default('127.0.0.1'),
  SIMULATOR_PUBLIC_URL: z
    .string()
    .trim()
    .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, { message: 'must be an http(s) URL' })
    .transform((url) => url.replace(/\/+$/, ''))
    .default('http://localhost:3100'),
  SIMULATOR_STATUS_DELAY_MS: wholeNumber(0, 600_000, 'a number of milliseconds between 0 and 600000').default(200),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
});

export interface SimulatorConfig {
  port: number;
  host: string;
  publicUrl: string;
  statusDelayMs: number;
  logLevel: string;
}

export class SimulatorConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'SimulatorConfigError';
  }
}

/** Validates the environment; each problem is one line naming the variable and what it expects. */
export function loadSimulatorConfig(env: NodeJS.ProcessEnv = process.env): SimulatorConfig {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = environmentSchema.safeParse(defined);
  if (!parsed.success) {
    throw new SimulatorConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  }
  const vars = parsed.data;
  return {
    port: vars.SIMULATOR_PORT,
    host: vars.SIMULATOR_HOST,
    publicUrl: vars.SIMULATOR_PUBLIC_URL,
    statusDelayMs: vars.SIMULATOR_STATUS_DELAY_MS,
    logLevel: vars.LOG_LEVEL,
  };
}
