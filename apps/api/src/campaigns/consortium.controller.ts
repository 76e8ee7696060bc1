import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsObject, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { IsOptionalNotNull } from '../http/validation.js';
import { NotFoundError } from '#common';
import { BusinessPortfoliosService, ConsortiumAlertsService, type Actor, type AlertShare, type PortfolioView } from '#domain';
import { CurrentActor, Roles } from '../http/auth.decorators.js';

export class ConsortiumAlertDto {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  title!: string;

  @ApiPropertyOptional({ description: 'The message template each comune has under this name (linked to its own approved WhatsApp template)' })
  @IsOptional()
  @IsString()
  @Length(1, 120)
  messageTemplateName?: string;

  @ApiPropertyOptional({ description: 'Free text, for citizens inside their 24-hour window, when no template is named' })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  body?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsObject()
  variables?: Record<string, string>;

  @ApiProperty({ type: [String], description: 'The comuni, by slug' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @IsString({ each: true })
  tenants!: string[];
}

export class PortfolioDto {
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 120)
  name?: string | null;

  @ApiPropertyOptional({ description: 'People per 24 hours kept for emergencies: normal campaigns may not use them' })
  @IsOptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  emergencyReserve?: number;
}

const alertId = new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError('Alert', 'ALERT_NOT_FOUND') });

/** The consortium's own tools: alerts to several comuni at once, and the business portfolios' capacity. */
@ApiTags('consortium')
@ApiBearerAuth()
@Roles('operator')
@Controller('api/v1')
export class ConsortiumController {
  constructor(
    private readonly alerts: ConsortiumAlertsService,
    private readonly portfolios: BusinessPortfoliosService,
  ) {}

  @Post('consortium-alerts')
  @ApiOperation({ summary: 'One emergency to the subscribers of several comuni, each from its own number (operators)' })
  async sendAlert(@CurrentActor() actor: Actor, @Body() dto: ConsortiumAlertDto): Promise<{ id: string; title: string; shares: AlertShare[] }> {
    const { alert, shares } = await this.alerts.send(actor, dto);
    return { id: alert.id, title: alert.title, shares };
  }

  @Get('consortium-alerts/:id')
  @ApiOperation({ summary: "An alert and each comune's share of it, with its stats (operators)" })
  async getAlert(@Param('id', alertId) id: string): Promise<{ id: string; title: string; createdAt: Date; shares: unknown[] }> {
    const { alert, shares } = await this.alerts.get(id);
    return { id: alert.id, title: alert.title, createdAt: alert.createdAt, shares };
  }

  @Get('business-portfolios')
  @ApiOperation({ summary: 'Portfolios, their tier, 24-hour usage and emergency reserve (operators)' })
  listPortfolios(): Promise<PortfolioView[]> {
    return this.portfolios.list();
  }

  @Put('business-portfolios/:id')
  @ApiOperation({ summary: 'Name a portfolio and set its emergency reserve (operators)' })
  updatePortfolio(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() dto: PortfolioDto): Promise<PortfolioView> {
    if (!/^\d{1,30}$/.test(id)) throw new NotFoundError('Business portfolio', 'PORTFOLIO_NOT_FOUND');
    return this.portfolios.update(actor, id, dto);
  }
}
