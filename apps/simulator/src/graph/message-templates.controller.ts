import { Controller, Get, Headers, Param, Query } from '@nestjs/common';
import { MessageTemplatesService, type TemplateListQuery, type TemplateListResponse } from './message-templates.service.js';

@Controller()
export class MessageTemplatesController {
  constructor(private readonly templates: MessageTemplatesService) {}

  @Get(':version/:wabaId/message_templates')
  list(
    @Param('version') version: string,
    @Param('wabaId') wabaId: string,
    @Headers('authorization') authorization: string | undefined,
    @Query() query: TemplateListQuery,
  ): TemplateListResponse {
    return this.templates.list(version, wabaId, authorization, query);
  }
}
