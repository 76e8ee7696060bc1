import type { AppointmentStatus, ConversationCategory } from '#database';

/**
 * What citizens and on-duty staff read from the inbox, in Italian. Placeholders: {comune} the
 * comune's name, {riapertura} when the office reopens ("domani alle 9:00"), {ufficio}, {giorni},
 * {motivo}, {proposta}, {nota} of an appointment, {testo} a message's text.
 */
export const INBOX_IT = {
  ack: 'Grazie, il {comune} ha ricevuto il tuo messaggio. Ti risponderemo appena possibile.',
  closed:
    'Grazie, il {comune} ha ricevuto il tuo messaggio. In questo momento l’ufficio è chiuso: riapre {riapertura} e ti risponderemo da allora. Per un’emergenza scrivi {emergenza}.',
  closedNoReopening: 'Grazie, il {comune} ha ricevuto il tuo messaggio. In questo momento l’ufficio è chiuso. Per un’emergenza scrivi {emergenza}.',
  emergency:
    'Abbiamo ricevuto la tua segnalazione urgente e abbiamo avvisato il reperibile del {comune}. Se c’è pericolo per le persone chiama subito il 112.',
  emergencyNoOnDuty:
    'Abbiamo ricevuto la tua segnalazione urgente: il {comune} la leggerà appena possibile. Se c’è pericolo per le persone chiama subito il 112.',
  chooseCategory: 'Di che cosa si tratta? Tocca l’argomento, ci aiuti a rispondere prima.',
  categoryButton: 'Argomento',
  categoryNoted: 'Grazie, abbiamo segnato il tuo messaggio come: {categoria}.',
  askOffice: 'Con quale ufficio vuoi prendere appuntamento?',
  officeButton: 'Uffici',
  unknownOffice: 'Non ho trovato questo ufficio. Gli uffici sono: {uffici}.',
  askDays: 'In quali giorni e in quale fascia oraria preferiresti? (ad esempio: martedì o giovedì mattina)',
  askReason: 'Per quale motivo chiedi l’appuntamento? Scrivilo in breve.',
  appointmentRequested: 'Richiesta di appuntamento registrata: {ufficio}, preferenza {giorni}. Ti faremo sapere qui la data proposta.',
  appointment: {
    requested: 'Il {comune} ha registrato la tua richiesta di appuntamento con {ufficio}. Ti faremo sapere qui la data proposta.',
    proposed: 'Il {comune} ti propone un appuntamento con {ufficio}: {proposta}. {nota}Ti va bene?',
    confirmed: 'Il tuo appuntamento con {ufficio} del {comune} è confermato: {proposta}. {nota}',
    declined: 'Il {comune} non può fissare l’appuntamento richiesto con {ufficio}. {nota}Puoi scriverci qui per un’altra richiesta.',
  } satisfies Record<AppointmentStatus, string>,
  appointmentYes: 'Va bene',
  appointmentNo: 'Non posso',
  appointmentAccepted: 'Grazie, appuntamento confermato: {proposta} con {ufficio}.',
  appointmentRefused: 'Va bene, l’ufficio {ufficio} ti proporrà un’altra data.',
  blocked:
    'Il {comune} ha sospeso la ricezione dei tuoi messaggi su questo numero per il mancato rispetto delle regole di utilizzo del servizio. Per comunicare con il Comune rivolgiti agli uffici.',
  onDutyText: 'EMERGENZA {comune}: {cittadino} ha scritto alle {ora}: "{testo}". Rispondi dall’inbox del Comune (conversazione {conversazione}).',
  onDutyEmailSubject: 'EMERGENZA segnalata al {comune}',
  unspecified: 'non specificato',
  categories: {
    segnalazione: 'Segnalazione',
    appuntamento: 'Appuntamento',
    informazioni: 'Informazioni',
    emergenza: 'Emergenza',
    altro: 'Altro',
  } satisfies Record<ConversationCategory, string>,
  categoryDescriptions: {
    segnalazione: 'Un problema da segnalare (strade, luci, rifiuti)',
    appuntamento: 'Chiedere un appuntamento con un ufficio',
    informazioni: 'Una domanda sui servizi del Comune',
    emergenza: 'Una situazione urgente',
    altro: 'Qualcos’altro',
  } satisfies Record<ConversationCategory, string>,
} as const;

/** Fills {placeholders}; unknown ones are left out rather than shown raw. */
export function renderInbox(template: string, vars: Record<string, string | null | undefined>): string {
  return template
    .replace(/\{(\w+)\}/g, (_, key: string) => vars[key] ?? '')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}
