import pino, { type Logger } from 'pino';
import { RequestContext } from '../context/request-context.js';
import { maskPhonesInText, redactForLog } from './mask.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  name: string;
  /** Where lines go; stdout by default (tests pass a stream to read what was logged). */
  destination?: pino.DestinationStream;
}

/**
 * The one JSON logger of a process. Every line carries the request or job id from the async
 * context, and passes through {@link redactForLog} so phone numbers, bodies and secrets are masked
 * even when a caller logs a whole object by mistake.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactForLog(object) as Record<string, unknown>,
      },
      mixin: () => {
        const ctx = RequestContext.current();
        if (!ctx) return {};
        return { requestId: ctx.requestId, ...(ctx.tenantId ? { tenantId: ctx.tenantId } : {}) };
      },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskPhonesInText(a) : a)) as Parameters<typeof method>;
          method.apply(this, masked);
        },
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
