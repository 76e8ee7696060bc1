import { Counter, Histogram, register } from 'prom-client';

function counter(name: string, help: string, labelNames: string[]): Counter {
  return (register.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames });
}

function histogram(name: string, help: string, buckets: number[]): Histogram {
  return (register.getSingleMetric(name) as Histogram | undefined) ?? new Histogram({ name, help, buckets });
}

/** Webhook POSTs by outcome: accepted, signature_invalid, malformed, unknown_app. Counts only, no content. */
export const webhookRequests = counter('araldo_webhook_requests_total', 'Webhook POSTs received, by outcome', ['outcome']);
export const webhookBatchSize = histogram(
  'araldo_webhook_batch_rows',
  'Rows per micro-batch INSERT of webhook bodies',
  [1, 5, 10, 25, 50, 100, 200, 500],
);
export const webhookDeadLetters = counter('araldo_webhook_dead_letters_total', 'Webhook changes for unknown numbers or WABAs', ['field']);
