import { Readable } from 'node:stream';
import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query, Req, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ValidationError } from '#common';
import type { TenantEntity } from '#database';
import { SubscriberImportNotFoundError, SubscriberImportService, type Actor } from '#domain';
import { CurrentActor, CurrentTenant, Roles } from '../http/auth.decorators.js';
import { mapPage, PaginationQueryDto, type PageResponse } from '../http/pagination.dto.js';
import {
  ImportSubscribersQueryDto,
  SubscriberImportPageResponse,
  SubscriberImportResponse,
  SubscriberImportSummaryResponse,
} from './subscriber-import.dto.js';

const importId = new ParseUUIDPipe({ exceptionFactory: () => new SubscriberImportNotFoundError() });
const STAFF = ['operator', 'tenant_admin', 'editor'] as const;
const ADMINS = ['operator', 'tenant_admin'] as const;
/** Rejected rows in the answer to an import; GET imports/:id has all that are kept. */
const ERRORS_IN_REPORT = 100;
const DAY_IN_ROME = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * A comune's subscribers in and out as CSV. Its static paths (`subscribers/imports`,
 * `subscribers/export.csv`) take precedence over `subscribers/:id` whatever the registration
 * order: Fastify's router tries static segments before parameters.
 */
@ApiTags('subscriptions')
@ApiBearerAuth()
@Controller('api/v1/tenants/:tenant/subscribers')
export class SubscriberImportController {
  constructor(private readonly imports: SubscriberImportService) {}

  @Post('imports')
  @Roles(...ADMINS)
  @ApiOperation({
    summary: 'Import an existing broadcast list from CSV (admins)',
    description:
      'Body: the file, Content-Type: text/csv, `,` or `;` separated, header row first. Columns: telefono/phone (required), nome, cognome, ' +
      'frazione, etichette/tags, consenso (the evidence of consent; required on every row unless consentDeclaration is given). ' +
      'Phones the comune already has are counted as duplicates and left unchanged.',
  })
  @ApiConsumes('text/csv')
  @ApiBody({
    schema: { type: 'string', example: 'telefono;nome;cognome;frazione;consenso\n338 4706151;Mario;Rossi;Villetta;modulo cartaceo 12/03/2024' },
  })
  @ApiCreatedResponse({ type: SubscriberImportResponse })
  async import(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantEntity,
    @Query() q: ImportSubscribersQueryDto,
    @Body() body: unknown,
    @Req() req: FastifyRequest & { rawBody?: Buffer },
  ): Promise<SubscriberImportResponse> {
    // Fastify also parses text/plain into a string: only a body declared as CSV is read as one.
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (mediaType !== 'text/csv' || typeof body !== 'string') {
      throw new ValidationError('send the CSV file as the request body, with Content-Type: text/csv', undefined, 'CSV_CONTENT_TYPE');
    }
    // The bytes, when available, so a file saved as Windows-1252 (Excel's plain CSV) keeps its accents.
    const file = Buffer.isBuffer(req.rawBody) ? req.rawBody : body;
    const done = await this.imports.import(actor, tenant.id, file, { listIds: q.listIds ?? [], consentDeclaration: q.consentDeclaration });
    return SubscriberImportResponse.fromImport(done, ERRORS_IN_REPORT);
  }

  @Get('imports')
  @Roles(...STAFF)
  @ApiOkResponse({ type: SubscriberImportPageResponse })
  async list(@CurrentTenant() tenant: TenantEntity, @Query() q: PaginationQueryDto): Promise<PageResponse<SubscriberImportSummaryResponse>> {
    return mapPage(await this.imports.list(tenant.id, { limit: q.limit, offset: q.offset }), (i) => SubscriberImportSummaryResponse.from(i));
  }

  @Get('imports/:id')
  @Roles(...STAFF)
  @ApiOperation({ summary: 'An import’s progress while it runs, and its outcome with the rejected rows' })
  @ApiOkResponse({ type: SubscriberImportResponse })
  async get(@CurrentTenant() tenant: TenantEntity, @Param('id', importId) id: string): Promise<SubscriberImportResponse> {
    return SubscriberImportResponse.fromImport(await this.imports.get(tenant.id, id), Number.MAX_SAFE_INTEGER);
  }

  @Get('export.csv')
  @Roles(...ADMINS)
  @ApiOperation({ summary: 'Every subscriber (erased ones excluded) as CSV, with their active lists (admins)' })
  @ApiProduces('text/csv')
  @ApiOkResponse({ schema: { type: 'string' } })
  async exportCsv(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantEntity): Promise<StreamableFile> {
    const csv = await this.imports.exportCsv(actor, tenant.id);
    return new StreamableFile(Readable.from(csv), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="iscritti-${tenant.slug}-${DAY_IN_ROME.format(new Date())}.csv"`,
    });
  }
}
