import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, CommonErrorCode, type ErrorKind } from '#common';

/** The one JSON error shape of the API. */
export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  requestId: string;
  details?: unknown;
}

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  validation: HttpStatus.BAD_REQUEST,
  unauthorized: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  internal: HttpStatus.INTERNAL_SERVER_ERROR,
};

const CODE_BY_STATUS: Record<number, string> = {
  400: CommonErrorCode.ValidationFailed,
  401: CommonErrorCode.Unauthorized,
  403: CommonErrorCode.Forbidden,
  404: CommonErrorCode.NotFound,
  409: CommonErrorCode.Conflict,
  413: CommonErrorCode.PayloadTooLarge,
  429: CommonErrorCode.RateLimited,
};

/** Maps domain errors, Nest's HTTP exceptions and Fastify's own errors to {@link ErrorBody}. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const body = this.toBody(exception, String(request.id));
    if (body.statusCode >= 500) {
      this.logger.error({ err: exception, method: request.method, route: request.routeOptions?.url }, 'unhandled error');
    }
    if (exception instanceof AppError && exception.retryAfterSeconds !== undefined) {
      void reply.header('Retry-After', String(exception.retryAfterSeconds));
    }
    // A route may have set another content type (the webhook handshake answers text/plain) before failing.
    void reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  private toBody(exception: unknown, requestId: string): ErrorBody {
    if (exception instanceof AppError) {
      const statusCode = STATUS_BY_KIND[exception.kind];
      const message = statusCode >= 500 ? 'Internal server error' : exception.message;
      return { statusCode, code: exception.code, message, requestId, ...(exception.details !== undefined ? { details: exception.details } : {}) };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'object' && response !== null && 'message' in response ? [response.message].flat().join('; ') : exception.message;
      const code = statusCode === 404 && /^Cannot /.test(message) ? 'ROUTE_NOT_FOUND' : (CODE_BY_STATUS[statusCode] ?? CommonErrorCode.Internal);
      return { statusCode, code, message: statusCode >= 500 ? 'Internal server error' : message, requestId };
    }
    // Fastify's own errors (body too large, malformed JSON, wrong content type) carry a statusCode.
    const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
    if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      const statusCode = fastifyError.statusCode;
      return { statusCode, code: CODE_BY_STATUS[statusCode] ?? 'BAD_REQUEST', message: fastifyError.message ?? 'Bad request', requestId };
    }
    return { statusCode: 500, code: CommonErrorCode.Internal, message: 'Internal server error', requestId };
  }
}
