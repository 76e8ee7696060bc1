import { RateLimitedError, UnauthorizedError } from '#common';

export enum AuthErrorCode {
  InvalidCredentials = 'AUTH_INVALID_CREDENTIALS',
  InvalidRefreshToken = 'AUTH_INVALID_REFRESH_TOKEN',
  TooManyAttempts = 'AUTH_TOO_MANY_ATTEMPTS',
  InvalidToken = 'AUTH_INVALID_TOKEN',
}

/** The same answer for an unknown email, a wrong password and a disabled account: no hint. */
export class InvalidCredentialsError extends UnauthorizedError {
  constructor() {
    super('Invalid email or password', AuthErrorCode.InvalidCredentials);
  }
}

export class InvalidRefreshTokenError extends UnauthorizedError {
  constructor() {
    super('Invalid or expired refresh token', AuthErrorCode.InvalidRefreshToken);
  }
}

export class TooManyLoginAttemptsError extends RateLimitedError {
  constructor(retryAfterSeconds: number) {
    super('Too many sign-in attempts; try again later', retryAfterSeconds, AuthErrorCode.TooManyAttempts);
  }
}
