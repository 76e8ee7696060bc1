import type { KeywordRuleAction, SubscriberField, TenantMode, WeeklySchedule } from '#database';

export interface PresetList {
  slug: string;
  hashtag: string;
  name: string;
  description: string;
  isDefault: boolean;
}

export interface PresetRule {
  action: KeywordRuleAction;
  phrases: string[];
  /** Slugs of the lists the rule targets when no hashtag is given. */
  lists: string[];
}

/** How a two-way comune runs its inbox (issue: inbox); contacts of the on-duty staff are set by its admins. */
export interface InboxPreset {
  weeklySchedule: WeeklySchedule;
  closedOnHolidays: boolean;
  /** "MM-DD" */
  patronDay: string | null;
  emergencyKeyword: string;
  /** Approved template (one body parameter) used when the citizen's or the on-duty contact's window is closed. */
  noticeTemplateName: string | null;
  appointmentOffices: string[];
}

/** How one comune runs its WhatsApp channel today, reproduced exactly (issue: subscriptions). */
export interface ComunePreset {
  key: string;
  displayName: string;
  mode: TenantMode;
  websiteUrl: string;
  privacyPolicyUrl: string;
  privacyPolicyVersion: string;
  officeEmail: string;
  officePhone: string;
  requiredFields: SubscriberField[];
  frazioni: string[];
  policyRequired: boolean;
  lists: PresetList[];
  rules: PresetRule[];
  welcomeText: string;
  goodbyeText: string;
  helpText: string;
  /** One-way comuni answer anything else by pointing to the offices. */
  autoReplyText: string | null;
  launchThreshold: number | null;
  /** The approved template that asks web-form sign-ups to confirm; null: the comune has no web form. */
  confirmTemplateName: string | null;
  /** Two-way comuni: office hours, emergency keyword, appointment offices. */
  inbox?: InboxPreset;
}

const NEWS: PresetList = {
  slug: 'notizie',
  hashtag: '#NOTIZIE',
  name: 'Notizie dal Comune',
  description: 'Avvisi, scadenze ed eventi',
  isDefault: true,
};

/** The three comuni of Carnia in the demo: one number each, a one-way news channel, ATTIVA / DISATTIVA. */
function carnia(key: string, displayName: string, domain: string, phone: string): ComunePreset {
  return {
    key,
    displayName,
    mode: 'one_way',
    websiteUrl: `https://www.${domain}`,
    privacyPolicyUrl: `https://www.${domain}/privacy-whatsapp`,
    privacyPolicyVersion: '2026-01',
    officeEmail: `protocollo@${domain}`,
    officePhone: phone,
    requiredFields: [],
    frazioni: [],
    policyRequired: false,
    lists: [NEWS],
    rules: [
      { action: 'subscribe', phrases: ['ATTIVA'], lists: ['notizie'] },
      { action: 'unsubscribe', phrases: ['DISATTIVA'], lists: [] },
    ],
    welcomeText:
      'Benvenuto/a nel servizio WhatsApp del {comune}! Riceverai notizie e avvisi del Comune. Salva questo numero in rubrica. Informativa privacy e condizioni d’uso: {informativa}. Per cancellarti scrivi DISATTIVA.',
    goodbyeText: 'Ti sei cancellato/a dal servizio WhatsApp del {comune}. Per iscriverti di nuovo scrivi ATTIVA.',
    helpText: 'Servizio WhatsApp del {comune}: scrivi ATTIVA per iscriverti, DISATTIVA per cancellarti, STATO per vedere la tua iscrizione.',
    autoReplyText:
      'Questo numero del {comune} serve solo a inviare notizie e non legge i messaggi. Per informazioni o segnalazioni contatta gli uffici comunali: {uffici}.',
    launchThreshold: null,
    confirmTemplateName: null,
  };
}

export const COMUNE_PRESETS: Record<string, ComunePreset> = {
  amaro: carnia('amaro', 'Comune di Amaro', 'comune.amaro.ud.it', '+39 0433 468011'),
  'cavazzo-carnico': carnia('cavazzo-carnico', 'Comune di Cavazzo Carnico', 'comune.cavazzo-carnico.ud.it', '+39 0433 935013'),
  verzegnis: carnia('verzegnis', 'Comune di Verzegnis', 'comune.verzegnis.ud.it', '+39 0433 2057'),

  'san-giuliano-milanese': {
    key: 'san-giuliano-milanese',
    displayName: 'Comune di San Giuliano Milanese',
    mode: 'one_way',
    websiteUrl: 'https://www.comune.sangiulianomilanese.mi.it',
    privacyPolicyUrl: 'https://www.comune.sangiulianomilanese.mi.it/privacy-whatsapp',
    privacyPolicyVersion: '2025-03',
    officeEmail: 'urp@comune.sangiulianomilanese.mi.it',
    officePhone: '+39 02 98207 1',
    requiredFields: [],
    frazioni: [],
    policyRequired: false,
    lists: [NEWS],
    rules: [
      { action: 'subscribe', phrases: ['ATTIVA'], lists: ['notizie'] },
      { action: 'unsubscribe', phrases: ['DISATTIVA'], lists: [] },
    ],
    welcomeText:
      'Benvenuto/a nel canale WhatsApp del {comune}! Ti invieremo circa due notizie a settimana. Informativa privacy: {informativa}. Per cancellarti scrivi DISATTIVA.',
    goodbyeText: 'Ti sei cancellato/a dal canale WhatsApp del {comune}. Per tornare scrivi ATTIVA.',
    helpText: 'Canale WhatsApp del {comune}: ATTIVA per iscriverti, DISATTIVA per cancellarti, STATO per la tua iscrizione.',
    autoReplyText: 'Questo numero del {comune} non riceve domande: è solo un canale di notizie. Per contattare il Comune: {uffici}.',
    launchThreshold: null,
    confirmTemplateName: null,
  },

  'san-romano-in-garfagnana': {
    key: 'san-romano-in-garfagnana',
    displayName: 'Comune di San Romano in Garfagnana',
    mode: 'two_way',
    websiteUrl: 'https://www.comune.sanromanoingarfagnana.lu.it',
    privacyPolicyUrl: 'https://www.comune.sanromanoingarfagnana.lu.it/privacy-whatsapp',
    privacyPolicyVersion: '2024-09',
    officeEmail: 'segreteria@comune.sanromanoingarfagnana.lu.it',
    officePhone: '+39 0583 613181',
    requiredFields: ['first_name', 'last_name', 'frazione'],
    frazioni: ['San Romano', 'Caprignana', 'Orzaglia', 'Sillicagnana', 'Verrucole', 'Verrucolette', 'Vibbiana', 'Villetta'],
    policyRequired: true,
    lists: [
      { slug: 'emergenze', hashtag: '#EMERGENZE', name: 'Emergenze', description: 'Protezione civile, allerte meteo', isDefault: true },
      {
        slug: 'pubblica-utilita',
        hashtag: "#PUBBLICAUTILITA'",
        name: 'Pubblica utilità',
        description: 'Servizi, viabilità, strade',
        isDefault: false,
      },
    ],
    rules: [
      { action: 'subscribe', phrases: ['ISCRIZIONE ON'], lists: ['emergenze'] },
      { action: 'unsubscribe', phrases: ['ISCRIZIONE OFF'], lists: [] },
      { action: 'accept_policy', phrases: ['ACCETTO', 'ACCETTO INFORMATIVA'], lists: [] },
    ],
    welcomeText: 'Iscrizione completata, {nome}! Riceverai dal {comune} i messaggi di: {iscrizioni}. Per cancellarti scrivi ISCRIZIONE OFF.',
    goodbyeText:
      'Ti sei cancellato/a dal servizio WhatsApp del {comune}. Per iscriverti di nuovo scrivi ISCRIZIONE ON #EMERGENZE o ISCRIZIONE ON #PUBBLICAUTILITA’.',
    helpText:
      'Servizio WhatsApp del {comune}. Iscriviti con ISCRIZIONE ON seguito dalla lista ({liste}), nome, cognome e frazione. Cancellati con ISCRIZIONE OFF. Puoi scrivere qui segnalazioni e richieste alla Segreteria.',
    autoReplyText: null,
    launchThreshold: null,
    confirmTemplateName: null,
    // The Segreteria: Mon, Wed, Fri, Sat 9–13; Tue, Thu 9–17; closed on public holidays; emergencies 24 hours a day.
    inbox: {
      weeklySchedule: {
        '1': [{ from: '09:00', to: '13:00' }],
        '2': [{ from: '09:00', to: '17:00' }],
        '3': [{ from: '09:00', to: '13:00' }],
        '4': [{ from: '09:00', to: '17:00' }],
        '5': [{ from: '09:00', to: '13:00' }],
        '6': [{ from: '09:00', to: '13:00' }],
      },
      closedOnHolidays: true,
      patronDay: null,
      emergencyKeyword: 'EMERGENZA',
      noticeTemplateName: 'avviso_generico',
      appointmentOffices: [],
    },
  },

  'santa-fiora': {
    key: 'santa-fiora',
    displayName: 'Comune di Santa Fiora',
    mode: 'two_way',
    websiteUrl: 'https://www.comune.santafiora.gr.it',
    privacyPolicyUrl: 'https://www.comune.santafiora.gr.it/privacy-comune-amico',
    privacyPolicyVersion: '2025-06',
    officeEmail: 'info@comune.santafiora.gr.it',
    officePhone: '+39 0564 965311',
    requiredFields: [],
    frazioni: [],
    policyRequired: false,
    lists: [{ slug: 'comune-amico', hashtag: '#COMUNEAMICO', name: 'Comune Amico', description: 'Notizie e avvisi del Comune', isDefault: true }],
    rules: [
      { action: 'subscribe', phrases: ['ATTIVA COMUNE AMICO'], lists: ['comune-amico'] },
      { action: 'unsubscribe', phrases: ['DISATTIVA COMUNE AMICO'], lists: [] },
    ],
    welcomeText:
      'Benvenuto/a in Comune Amico, il servizio WhatsApp gratuito del {comune}! Inviando il messaggio ci hai autorizzato a inviarti notizie. Informativa privacy: {informativa}. Per cancellarti scrivi DISATTIVA COMUNE AMICO.',
    goodbyeText: 'Ti sei cancellato/a da Comune Amico. Per tornare scrivi ATTIVA COMUNE AMICO.',
    helpText:
      'Comune Amico del {comune}: ATTIVA COMUNE AMICO per iscriverti, DISATTIVA COMUNE AMICO per cancellarti. Puoi anche segnalarci problemi e chiedere appuntamenti.',
    autoReplyText: null,
    launchThreshold: null,
    confirmTemplateName: null,
    // The trial: reports of critical situations and appointments with the offices; hours and offices as the comune publishes them (editable).
    inbox: {
      weeklySchedule: {
        '1': [{ from: '09:00', to: '13:00' }],
        '2': [
          { from: '09:00', to: '13:00' },
          { from: '15:00', to: '17:30' },
        ],
        '3': [{ from: '09:00', to: '13:00' }],
        '4': [
          { from: '09:00', to: '13:00' },
          { from: '15:00', to: '17:30' },
        ],
        '5': [{ from: '09:00', to: '13:00' }],
      },
      closedOnHolidays: true,
      // Sante Flora e Lucilla.
      patronDay: '07-29',
      emergencyKeyword: 'EMERGENZA',
      noticeTemplateName: 'avviso_generico',
      appointmentOffices: ['Anagrafe e stato civile', 'Ufficio tecnico', 'Tributi', 'Servizi sociali', 'Segreteria del Sindaco'],
    },
  },

  conegliano: {
    key: 'conegliano',
    displayName: 'Comune di Conegliano',
    mode: 'one_way',
    websiteUrl: 'https://www.comune.conegliano.tv.it',
    privacyPolicyUrl: 'https://www.comune.conegliano.tv.it/privacy-whatsapp',
    privacyPolicyVersion: '2025-01',
    officeEmail: 'urp@comune.conegliano.tv.it',
    officePhone: '+39 0438 4131',
    requiredFields: ['first_name', 'last_name'],
    frazioni: [],
    policyRequired: false,
    lists: [{ slug: 'notizie', hashtag: '#CONEGLIANO', name: 'Notizie da Conegliano', description: 'Comunicazioni del Comune', isDefault: true }],
    rules: [
      { action: 'subscribe', phrases: ['Iscrivimi'], lists: ['notizie'] },
      { action: 'unsubscribe', phrases: ['Cancellami'], lists: [] },
    ],
    welcomeText:
      'Ciao {nome}, sei iscritto/a al servizio WhatsApp del {comune}. Ti scriveremo solo quando serve. Informativa: {informativa}. Per cancellarti scrivi Cancellami.',
    goodbyeText: 'Ti sei cancellato/a dal servizio WhatsApp del {comune}. Per tornare scrivi Iscrivimi seguito da nome e cognome.',
    helpText: 'Servizio WhatsApp del {comune}: scrivi Iscrivimi seguito da nome e cognome per iscriverti, Cancellami per cancellarti.',
    autoReplyText: 'Questo numero del {comune} è solo in uscita e non riceve messaggi. Per informazioni: {uffici}.',
    launchThreshold: 500,
    // Conegliano also signs citizens up from a form on its site (double opt-in).
    confirmTemplateName: 'conferma_iscrizione',
  },
};
