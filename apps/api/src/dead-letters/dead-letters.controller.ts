import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeadLettersService } from '#domain';
import { Roles } from '../http/auth.decorators.js';
import { mapPage, type PageResponse } from '../http/pagination.dto.js';
import { DeadLetterPageResponse, DeadLetterQueryDto, DeadLetterResponse } from './dead-letter.dto.js';

@ApiTags('webhook dead letters')
@ApiBearerAuth()
@Roles('operator')
@Controller('api/v1/webhook-dead-letters')
export class DeadLettersController {
  constructor(private readonly letters: DeadLettersService) {}

  @Get()
  @ApiOperation({ summary: 'Webhook changes for numbers no comune owns (operators)' })
  @ApiOkResponse({ type: DeadLetterPageResponse })
  async list(@Query() q: DeadLetterQueryDto): Promise<PageResponse<DeadLetterResponse>> {
    return mapPage(await this.letters.list({ limit: q.limit, offset: q.offset }, q.open), (d) => DeadLetterResponse.from(d));
  }

  @Get(':id')
  @ApiOkResponse({ type: DeadLetterResponse })
  async get(@Param('id') id: string): Promise<DeadLetterResponse> {
    return DeadLetterResponse.from(await this.letters.get(id));
  }

  @Post(':id/replay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Process the change again, once its number has been onboarded (409 while still unknown)' })
  @ApiOkResponse({ type: DeadLetterResponse })
  async replay(@Param('id') id: string): Promise<DeadLetterResponse> {
    return DeadLetterResponse.from(await this.letters.replay(id));
  }

  @Post(':id/discard')
  @HttpCode(200)
  @ApiOkResponse({ type: DeadLetterResponse })
  async discard(@Param('id') id: string): Promise<DeadLetterResponse> {
    return DeadLetterResponse.from(await this.letters.discard(id));
  }
}
