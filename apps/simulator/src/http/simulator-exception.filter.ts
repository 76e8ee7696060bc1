import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorKind } from '#common';
import { GraphApiError, GraphErrors } from '../graph/graph.errors.js';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** The control API's error shape (the same as araldo's API). */
export interface ControlErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: unknown;
}

/**
 * Two error shapes: the control API (/_sim) answers like araldo's own API, everything else like
 * Meta's Graph API, including Fastify's own errors (malformed JSON) and unknown paths.
 */
@Catch()
export class SimulatorExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('SimulatorExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.replyWith(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  /** Answers `exception` in its route's shape: also the error handler of the routes registered on Fastify directly. */
  replyWith(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const path = request.url.split('?')[0] ?? '';
    if (path.startsWith('/_sim') || path === '/') {
      const body = this.controlBody(exception, `${request.method} ${path}`);
      if (body.statusCode >= 500) this.logger.error({ msg: 'control API error', err: exception, method: request.method, path });
      void reply.status(body.statusCode).send(body);
      return;
    }
    const error = this.graphError(exception, path);
    if (error.httpStatus >= 500 && !(exception instanceof GraphApiError))
      this.logger.error({ msg: 'graph API error', err: exception, method: request.method, path });
    void reply.status(error.httpStatus).send(error.toBody());
  }

  private graphError(exception: unknown, path: string): GraphApiError {
    if (exception instanceof GraphApiError) return exception;
    if (exception instanceof HttpException && exception.getStatus() === 404) return GraphErrors.unknownPath(path);
    const status = exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message = exception instanceof Error ? exception.message : 'Invalid request';
      return GraphErrors.invalidParameter(`Invalid request: ${message}`);
    }
    return GraphErrors.unknownError();
  }

  private controlBody(exception: unknown, route: string): ControlErrorBody {
    // A /_sim path that no control route has falls through to Meta's /{version}/{id} routes.
    if (exception instanceof GraphApiError) return { statusCode: 404, code: 'ROUTE_NOT_FOUND', message: `Cannot ${route}` };
    if (exception instanceof AppError) {
      const statusCode = STATUS_BY_KIND[exception.kind];
      return {
        statusCode,
        code: exception.code,
        message: exception.message,
        ...(exception.details !== undefined ? { details: exception.details } : {}),
      };
    }
    const status = exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return {
        statusCode: status,
        code: status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST',
        message: exception instanceof Error ? exception.message : 'Bad request',
      };
    }
    return { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' };
  }
}
