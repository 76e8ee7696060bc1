import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { AuditEventEntity, TenantEntity } from '#database';
import { AuditService } from '#domain';
import { CurrentTenant, Roles } from '../http/auth.decorators.js';
import { mapPage, PaginationQueryDto, type PageResponse } from '../http/pagination.dto.js';

export class AuditEventResponse {
  @ApiProperty() id!: string;
  @ApiProperty() occurredAt!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) actorUserId!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) actorRole!: string | null;
  @ApiProperty({ example: 'number.added' }) action!: string;
  @ApiProperty() targetType!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) targetId!: string | null;
  @ApiProperty({ type: Object }) details!: Record<string, unknown>;

  static from(e: AuditEventEntity): AuditEventResponse {
    return {
      id: e.id,
      occurredAt: e.occurredAt.toISOString(),
      actorUserId: e.actorUserId,
      actorRole: e.actorRole,
      action: e.action,
      targetType: e.targetType,
      targetId: e.targetId,
      details: e.details,
    };
  }
}

export class AuditEventPageResponse {
  @ApiProperty({ type: [AuditEventResponse] }) items!: AuditEventResponse[];
  @ApiProperty() total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

@ApiTags('audit')
@ApiBearerAuth()
@Roles('operator', 'tenant_admin')
@Controller('api/v1/tenants/:tenant/audit-events')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Who changed what in this comune, newest first' })
  @ApiOkResponse({ type: AuditEventPageResponse })
  async list(@CurrentTenant() tenant: TenantEntity, @Query() page: PaginationQueryDto): Promise<PageResponse<AuditEventResponse>> {
    return mapPage(await this.audit.list(tenant.id, page), (e) => AuditEventResponse.from(e));
  }
}
