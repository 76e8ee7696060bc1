import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NumbersService } from '#domain';
import { Roles } from '../http/auth.decorators.js';
import { mapPage, type PageResponse } from '../http/pagination.dto.js';
import { NumberResponse, NumberStatusQueryDto, OperatorNumberPageResponse, type OperatorNumberResponse } from './number.dto.js';

/** The consortium's view across comuni: which numbers are paused, and why. */
@ApiTags('numbers')
@ApiBearerAuth()
@Roles('operator')
@Controller('api/v1/numbers')
export class OperatorNumbersController {
  constructor(private readonly numbers: NumbersService) {}

  @Get()
  @ApiOperation({ summary: 'Numbers of every comune in a status, e.g. ?status=paused (operators)' })
  @ApiOkResponse({ type: OperatorNumberPageResponse })
  async list(@Query() q: NumberStatusQueryDto): Promise<PageResponse<OperatorNumberResponse>> {
    const page = await this.numbers.listByStatusUnscoped(q.status, { limit: q.limit, offset: q.offset });
    return mapPage(page, (e) => ({ ...NumberResponse.from(e.number), tenantSlug: e.tenantSlug }));
  }
}
