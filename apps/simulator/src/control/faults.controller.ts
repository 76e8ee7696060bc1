import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { NotFoundError } from '#common';
import { ZodValidationPipe } from '../http/zod-validation.pipe.js';
import { FaultsService, faultsView } from '../state/faults.service.js';
import { NumbersService } from '../state/numbers.service.js';
import { StatusBehaviourService, type StatusBehaviour } from '../state/status-behaviour.service.js';
import { ControlService } from './control.service.js';
import { clearFaultsQuery, faultsSchema, statusBehaviourSchema, type FaultsBody, type StatusBehaviourBody } from './control.schemas.js';

@Controller('_sim')
export class FaultsController {
  constructor(
    private readonly numbers: NumbersService,
    private readonly faults: FaultsService,
    private readonly behaviours: StatusBehaviourService,
    private readonly control: ControlService,
  ) {}

  /** Sets a number's faults; fields left out keep their value. */
  @Post('faults')
  @HttpCode(200)
  setFaults(@Body(new ZodValidationPipe(faultsSchema)) body: FaultsBody): Record<string, unknown> {
    const { phoneNumberId, ...update } = body;
    this.assertNumber(phoneNumberId);
    return faultsView(this.faults.set(phoneNumberId, update));
  }

  /** Clears the faults of one number, or of every number without phoneNumberId. */
  @Delete('faults')
  clearFaults(@Query(new ZodValidationPipe(clearFaultsQuery)) query: { phoneNumberId?: string }): { success: true } {
    this.faults.clear(query.phoneNumberId);
    return { success: true };
  }

  @Post('status-behaviour')
  @HttpCode(200)
  setStatusBehaviour(@Body(new ZodValidationPipe(statusBehaviourSchema)) body: StatusBehaviourBody): StatusBehaviour {
    const { phoneNumberId, ...update } = body;
    this.assertNumber(phoneNumberId);
    return this.behaviours.set(phoneNumberId, update);
  }

  @Post('reset')
  @HttpCode(200)
  reset(): { success: true } {
    this.control.reset();
    return { success: true };
  }

  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  private assertNumber(phoneNumberId: string): void {
    if (!this.numbers.find(phoneNumberId)) throw new NotFoundError(`Number ${phoneNumberId}`);
  }
}
