import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { DEFAULT_MPS, NumbersService, type SimulatedNumberView } from '../state/numbers.service.js';
import { ZodValidationPipe } from '../http/zod-validation.pipe.js';
import { registerNumberSchema, type RegisterNumberBody } from './control.schemas.js';

@Controller('_sim/numbers')
export class NumbersController {
  constructor(private readonly numbers: NumbersService) {}

  /** Registers a number, or replaces the one with the same phoneNumberId. */
  @Post()
  @HttpCode(200)
  register(@Body(new ZodValidationPipe(registerNumberSchema)) body: RegisterNumberBody): SimulatedNumberView {
    return this.numbers.register({ ...body, mps: body.mps ?? DEFAULT_MPS });
  }

  @Get()
  list(): SimulatedNumberView[] {
    return this.numbers.list();
  }
}
