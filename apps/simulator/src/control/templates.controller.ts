import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ZodValidationPipe } from '../http/zod-validation.pipe.js';
import { TemplatesService, type SimulatedTemplate } from '../state/templates.service.js';
import { createTemplateSchema, listTemplatesQuery, updateTemplateSchema, type CreateTemplateBody } from './control.schemas.js';

@Controller('_sim/templates')
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  /** Creates a template, or replaces the one with the same WABA, name and language. */
  @Post()
  @HttpCode(200)
  create(@Body(new ZodValidationPipe(createTemplateSchema)) body: CreateTemplateBody): SimulatedTemplate {
    return this.templates.upsert(body);
  }

  @Patch(':id')
  setStatus(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(updateTemplateSchema)) body: { status: SimulatedTemplate['status'] },
  ): SimulatedTemplate {
    return this.templates.setStatus(id, body.status);
  }

  @Get()
  list(@Query(new ZodValidationPipe(listTemplatesQuery)) query: { wabaId?: string }): SimulatedTemplate[] {
    return this.templates.list(query.wabaId);
  }
}
