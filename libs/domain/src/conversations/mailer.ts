import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { APP_CONFIG, type AppConfig } from '#common';

/**
 * Outgoing e-mail (SMTP_URL), for the inbox's emergency alerts. A deployment without SMTP_URL
 * sends none: `enabled` is false and alerts go by WhatsApp only.
 */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly transport: Transporter | null;
  private readonly from: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Short timeouts: the alert job retries, and a hanging SMTP server must not hold a worker slot.
    this.transport = config.smtp.url
      ? nodemailer.createTransport({ url: config.smtp.url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 })
      : null;
    this.from = config.smtp.from;
  }

  get enabled(): boolean {
    return this.transport !== null;
  }

  async send(mail: { to: string; subject: string; text: string }): Promise<void> {
    if (!this.transport) throw new Error('SMTP_URL is not configured');
    await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text });
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}
