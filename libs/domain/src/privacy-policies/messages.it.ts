/**
 * What citizens and editors read about privacy policy requests, in Italian, kept here rather than
 * scattered. The request texts are campaign bodies: {{comune}} is filled from the comune and
 * {{versione}}, {{data}} (publication), {{informativa}} (link) and {{scadenza}} (deadline) from the
 * version, so a comune's own message template may use the same variables.
 */
export const POLICY_IT = {
  request:
    'Il {{comune}} ha aggiornato l’informativa privacy del suo canale WhatsApp (versione {{versione}} del {{data}}). Puoi leggerla qui: {{informativa}}\n\nPer confermare di averla letta e continuare a ricevere le comunicazioni del Comune tocca «Accetto» o rispondi ACCETTO.',
  requestWithDeadline:
    'Il {{comune}} ha aggiornato l’informativa privacy del suo canale WhatsApp (versione {{versione}} del {{data}}). Puoi leggerla qui: {{informativa}}\n\nPer confermare di averla letta tocca «Accetto» o rispondi ACCETTO entro il {{scadenza}}: dopo quella data, finché non l’avrai accettata, riceverai solo gli avvisi di emergenza.',
  reminderPrefix: 'Promemoria. ',
  acceptButton: 'Accetto',
  noLink: 'sul sito del Comune',
  /** Campaign titles, as editors see them in the list of campaigns. */
  title: 'Informativa privacy {version}: richiesta di accettazione',
  reminderTitle: 'Informativa privacy {version}: promemoria',
} as const;
