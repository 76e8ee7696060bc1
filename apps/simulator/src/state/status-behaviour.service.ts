import { Injectable } from '@nestjs/common';

export const STATUS_STEPS = ['sent', 'delivered', 'read'] as const;
export type StatusStep = (typeof STATUS_STEPS)[number];
/**
 * Where a successful message's statuses stop: one of the steps, or `accepted`, no status webhook
 * at all (as for an app not subscribed to the messages field; benchmarks that leave receipts out).
 */
export const STOP_AT = ['accepted', ...STATUS_STEPS] as const;
export type StopAt = (typeof STOP_AT)[number];

/** How a number's status webhooks are sent, set by tests through POST /_sim/status-behaviour. */
export interface StatusBehaviour {
  /** Wait before each status webhook; SIMULATOR_STATUS_DELAY_MS when not set. */
  delayMs?: number;
  /** Send every status webhook twice (Meta delivers at least once). */
  duplicate: boolean;
  /** Send a message's statuses in reverse or shuffled order (Meta does not order them). */
  reorder: 'none' | 'reverse' | 'shuffle';
  /** The last status a successful message reaches (`accepted`: no status webhook). */
  stopAt: StopAt;
}

const DEFAULT: StatusBehaviour = { duplicate: false, reorder: 'none', stopAt: 'read' };

@Injectable()
export class StatusBehaviourService {
  private readonly behaviours = new Map<string, StatusBehaviour>();

  set(phoneNumberId: string, update: Partial<StatusBehaviour>): StatusBehaviour {
    const next = { ...this.get(phoneNumberId), ...Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined)) };
    this.behaviours.set(phoneNumberId, next);
    return next;
  }

  get(phoneNumberId: string): StatusBehaviour {
    return this.behaviours.get(phoneNumberId) ?? { ...DEFAULT };
  }

  clear(): void {
    this.behaviours.clear();
  }
}

/** The statuses of one successful message in the order they are posted. Pure apart from `random`. */
export function plannedStatuses(behaviour: StatusBehaviour, random: () => number = Math.random): StatusStep[] {
  const steps: StatusStep[] = behaviour.stopAt === 'accepted' ? [] : STATUS_STEPS.slice(0, STATUS_STEPS.indexOf(behaviour.stopAt) + 1);
  if (behaviour.reorder === 'reverse') steps.reverse();
  if (behaviour.reorder === 'shuffle') {
    for (let i = steps.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [steps[i], steps[j]] = [steps[j], steps[i]];
    }
  }
  return behaviour.duplicate ? steps.flatMap((s) => [s, s]) : steps;
}
