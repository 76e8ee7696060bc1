/**
 * What citizens read in campaign messages, in Italian, kept here rather than scattered.
 *
 * Fallbacks stand in for a recipient variable the subscriber's profile lacks (many sign up
 * anonymously or give only a first name): WhatsApp refuses an empty template parameter, and a raw
 * {{nome}} or a blank in a message from the Comune reads as a mistake. They are neutral so they fit
 * the usual slots ("Gentile {{nome}},", "residenti di {{frazione}}").
 */
export const CAMPAIGN_IT = {
  fallback: {
    nome: 'cittadina/o',
    cognome: 'cittadina/o',
    frazione: 'tutto il territorio comunale',
  },
} as const;
