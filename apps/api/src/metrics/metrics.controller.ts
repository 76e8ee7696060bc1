import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { register } from 'prom-client';
import { Public } from '../http/auth.decorators.js';

/**
 * Prometheus metrics: counts and timings only, never a phone number or a message. Public so a
 * scraper needs no token; restrict /metrics at the reverse proxy when the API is exposed.
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('content-type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
