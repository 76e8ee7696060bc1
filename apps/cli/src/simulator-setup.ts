import { Inject, Injectable } from '@nestjs/common';
import { request } from 'undici';
import { APP_CONFIG, SecretBox, type AppConfig } from '#common';
import { ProviderAppRepository, WhatsappNumberRepository } from '#database';
import { ProviderAppsService } from '#domain';

/** Templates every demo comune has approved on the simulator, so the demo can write outside the window. */
const DEMO_TEMPLATES = [
  { name: 'avviso_generico', category: 'UTILITY', body: 'Avviso dal Comune: {{1}}' },
  { name: 'allerta_meteo', category: 'UTILITY', body: 'Allerta meteo {{1}}: {{2}}. Segui le indicazioni della Protezione civile.' },
  { name: 'eventi_settimana', category: 'MARKETING', body: 'Gli appuntamenti della settimana: {{1}}' },
  {
    name: 'conferma_iscrizione',
    category: 'UTILITY',
    body: 'Hai chiesto di iscriverti al canale WhatsApp del {{1}}. Tocca Confermo per completare l’iscrizione; se non sei stato tu, ignora questo messaggio.',
    buttons: [{ type: 'QUICK_REPLY', text: 'Confermo' }],
  },
  {
    // Asks subscribers to accept a new privacy policy version outside their window (POST .../privacy-policies/{id}/acceptance-requests).
    name: 'informativa_aggiornata',
    category: 'UTILITY',
    body: 'Il {{1}} ha aggiornato l’informativa privacy del canale WhatsApp (versione {{2}}): {{3}}. Tocca Accetto o rispondi ACCETTO per confermare di averla letta.',
    buttons: [{ type: 'QUICK_REPLY', text: 'Accetto' }],
  },
];

/**
 * Tells the built-in simulator about the numbers of every simulator provider app: their tokens and
 * the app secret to sign webhooks with, and where araldo's webhook is. The simulator keeps state in
 * memory, so `npm start` does this each time it starts it.
 */
@Injectable()
export class SimulatorSetup {
  constructor(
    private readonly apps: ProviderAppRepository,
    private readonly appsService: ProviderAppsService,
    private readonly numbers: WhatsappNumberRepository,
    private readonly box: SecretBox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async register(): Promise<number> {
    const base = this.config.whatsapp.simulatorBaseUrl;
    let count = 0;
    for (const app of await this.apps.listAll()) {
      if (app.kind !== 'simulator') continue;
      const { appSecrets } = this.appsService.secretsOf(app);
      const wabas = new Set<string>();
      for (const n of await this.numbers.listByProviderAppUnscoped(app.id)) {
        if (n.status === 'disabled') continue;
        await post(`${base}/_sim/numbers`, {
          phoneNumberId: n.phoneNumberId,
          wabaId: n.wabaId,
          displayPhoneNumber: n.displayNumber.slice(1),
          accessToken: this.box.decrypt(n.accessTokenEnc),
          appSecret: appSecrets[0],
          webhookUrl: `${this.config.whatsapp.simulatorWebhookBaseUrl}/webhooks/whatsapp/${app.appId}`,
          mps: n.mpsCap,
        });
        wabas.add(n.wabaId);
        count++;
      }
      for (const wabaId of wabas) {
        for (const t of DEMO_TEMPLATES) await post(`${base}/_sim/templates`, { wabaId, language: 'it', status: 'APPROVED', ...t });
      }
    }
    return count;
  }
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`simulator refused ${new URL(url).pathname}: ${res.statusCode} ${text.slice(0, 300)}`);
}
