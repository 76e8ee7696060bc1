export interface PageRequest {
  limit: number;
  offset: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export const UNIQUE_VIOLATION = '23505';

/** The constraint a unique violation hit, or undefined when the error is something else. */
export function uniqueViolation(err: unknown): string | undefined {
  const e = err as { code?: string; driverError?: { code?: string; constraint?: string }; constraint?: string };
  const code = e.driverError?.code ?? e.code;
  if (code !== UNIQUE_VIOLATION) return undefined;
  return e.driverError?.constraint ?? e.constraint ?? 'unique';
}
