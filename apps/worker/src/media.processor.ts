import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { asTenantId, type MediaFileId } from '#common';
import { MediaService } from '#domain';
import { MediaJob, QueueName, type DownloadMediaPayload } from '#queue';

/** Copies citizens' media from WhatsApp to our storage; transient failures are retried by the queue. */
@Processor(QueueName.Media)
export class MediaProcessor {
  constructor(private readonly media: MediaService) {}

  @Process({ name: MediaJob.Download, concurrency: 4 })
  async download(job: Job<DownloadMediaPayload>): Promise<string> {
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    return this.media.download(asTenantId(job.data.tenantId), job.data.mediaFileId as MediaFileId, lastAttempt);
  }
}
