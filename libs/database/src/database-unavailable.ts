/** Socket errors of a connection to PostgreSQL that was refused, reset or cut. */
const SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** What node-postgres and its pool say when the server went away or cannot be reached. */
const MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection is not open/i,
  /client has encountered a connection error/i,
];

/**
 * Whether an error means PostgreSQL could not be reached or went away (a restart, a failover, the
 * network), as opposed to a statement it refused. Such a statement may be tried again once the
 * database is back: SQLSTATE class 08 (connection exception), 57P01–57P03 (admin or crash
 * shutdown, cannot connect now), and the driver's own socket and pool errors. A wrapped error
 * (TypeORM's QueryFailedError keeps the driver's) is looked through.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 3; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (SOCKET_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
    }
    if (typeof message === 'string' && MESSAGES.some((m) => m.test(message))) return true;
    e = (e as { driverError?: unknown; cause?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Runs `work`, and runs it again while it fails because PostgreSQL is unreachable, every
 * `delaysMs` step (the last repeated) until `budgetMs` is spent; any other error, or the last one,
 * is thrown. `work` must be safe to run again after a failure (a statement that failed this way
 * did not commit).
 */
export async function whileDatabaseUnavailable<T>(
  work: () => Promise<T>,
  opts: { budgetMs: number; delaysMs?: readonly number[]; onRetry?: (err: unknown, attempt: number) => void; sleep?: (ms: number) => Promise<void> },
): Promise<T> {
  const delays = opts.delaysMs ?? [500, 1000, 2000, 5000];
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let spent = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const delay = delays[Math.min(attempt - 1, delays.length - 1)];
      if (!isDatabaseUnavailable(err) || spent + delay > opts.budgetMs) throw err;
      opts.onRetry?.(err, attempt);
      await sleep(delay);
      spent += delay;
    }
  }
}
