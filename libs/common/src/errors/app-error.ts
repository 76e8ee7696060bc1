/**
 * What kind of failure an error is. The API's exception filter maps a kind to one HTTP status and
 * the worker maps it to retry or give up, so a library never needs to know about HTTP.
 */
export type ErrorKind =
  'validation' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'too_large' | 'rate_limited' | 'unavailable' | 'internal';

/** Error codes shared by every feature; features add their own code enums beside their services. */
export enum CommonErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  NotFound = 'NOT_FOUND',
  Unauthorized = 'UNAUTHORIZED',
  Forbidden = 'FORBIDDEN',
  RateLimited = 'RATE_LIMITED',
  Conflict = 'CONFLICT',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  Internal = 'INTERNAL_ERROR',
}

export interface AppErrorOptions {
  details?: unknown;
  /** Seconds after which a rate-limited caller may try again. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** Base class of every domain error: a stable code, a kind, and a message safe to show to a caller. */
export class AppError extends Error {
  readonly details?: unknown;
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, code: string = CommonErrorCode.NotFound) {
    super(code, 'not_found', `${what} not found`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code: string = CommonErrorCode.Conflict, details?: unknown) {
    super(code, 'conflict', message, { details });
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown, code: string = CommonErrorCode.ValidationFailed) {
    super(code, 'validation', message, { details });
  }
}

/** Something the caller sent is bigger than a limit allows (a file over WhatsApp's size for its type). */
export class PayloadTooLargeError extends AppError {
  constructor(message: string, details?: unknown, code: string = CommonErrorCode.PayloadTooLarge) {
    super(code, 'too_large', message, { details });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required', code: string = CommonErrorCode.Unauthorized) {
    super(code, 'unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed', code: string = CommonErrorCode.Forbidden) {
    super(code, 'forbidden', message);
  }
}

export class RateLimitedError extends AppError {
  constructor(message: string, retryAfterSeconds: number, code: string = CommonErrorCode.RateLimited) {
    super(code, 'rate_limited', message, { retryAfterSeconds });
  }
}
