import { Injectable } from '@nestjs/common';
import { SimulatorSettings } from '../config/simulator-settings.js';
import { TemplatesService, type SimulatedTemplate } from '../state/templates.service.js';
import { GraphAuthService } from './graph-auth.service.js';
import { GraphErrors } from './graph.errors.js';

export interface TemplateListQuery {
  limit?: string;
  after?: string;
  before?: string;
  name?: string;
  status?: string;
}

export interface GraphTemplate {
  name: string;
  parameter_format: 'POSITIONAL' | 'NAMED';
  components: Record<string, unknown>[];
  language: string;
  status: string;
  category: string;
  id: string;
}

export interface TemplateListResponse {
  data: GraphTemplate[];
  paging?: { cursors: { before: string; after: string }; next?: string; previous?: string };
}

const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 1000;

const cursor = (index: number): string => Buffer.from(`tpl:${index}`).toString('base64');

function fromCursor(value: string, param: string): number {
  const match = /^tpl:(\d+)$/.exec(Buffer.from(value, 'base64').toString('utf8'));
  if (!match) throw GraphErrors.invalidParameter(`Param ${param} is not a valid cursor.`);
  return Number(match[1]);
}

/** GET /{waba-id}/message_templates with Meta's cursor paging. */
@Injectable()
export class MessageTemplatesService {
  constructor(
    private readonly auth: GraphAuthService,
    private readonly templates: TemplatesService,
    private readonly settings: SimulatorSettings,
  ) {}

  list(version: string, wabaId: string, authorization: string | undefined, query: TemplateListQuery): TemplateListResponse {
    this.auth.assertVersion(version);
    const caller = this.auth.caller(authorization);
    if (caller.wabaId !== wabaId) throw GraphErrors.unknownObject('get', wabaId);
    const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1) throw GraphErrors.invalidParameter('Param limit must be a positive integer.');
    const all = this.templates
      .list(wabaId)
      .filter(
        (t) => (query.name === undefined || t.name.includes(query.name)) && (query.status === undefined || t.status === query.status.toUpperCase()),
      );
    const pageSize = Math.min(limit, MAX_LIMIT);
    let start = query.after !== undefined ? fromCursor(query.after, 'after') + 1 : 0;
    if (query.before !== undefined) start = Math.max(0, fromCursor(query.before, 'before') - pageSize);
    const page = all.slice(start, start + pageSize);
    if (page.length === 0) return { data: [] };
    const end = start + page.length - 1;
    const base = `${this.settings.baseUrl}/${version}/${wabaId}/message_templates?limit=${pageSize}`;
    return {
      data: page.map(toGraph),
      paging: {
        cursors: { before: cursor(start), after: cursor(end) },
        ...(end < all.length - 1 ? { next: `${base}&after=${encodeURIComponent(cursor(end))}` } : {}),
        ...(start > 0 ? { previous: `${base}&before=${encodeURIComponent(cursor(start))}` } : {}),
      },
    };
  }
}

function toGraph(t: SimulatedTemplate): GraphTemplate {
  return {
    name: t.name,
    parameter_format: t.parameter_format,
    components: t.components,
    language: t.language,
    status: t.status,
    category: t.category,
    id: t.id,
  };
}
