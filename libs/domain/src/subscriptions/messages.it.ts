/**
 * What citizens read, in Italian, kept here rather than scattered. `{name}` placeholders are filled by
 * renderReply; a comune's own texts (subscription_settings) use the same placeholders:
 * {comune} the comune's name, {informativa} its privacy policy link, {liste} the lists (with hashtags),
 * {iscrizioni} the citizen's current lists, {parole} the keywords, {frazioni} the frazioni, {nome}
 * the citizen's first name, {uffici} how to reach the offices; for the privacy policy, {versione} the
 * version in force and {richiesta} the one an older request asked about.
 */
export const IT = {
  welcome:
    'Benvenuto/a nel canale WhatsApp del {comune}! Riceverai qui le comunicazioni del Comune. Informativa privacy: {informativa}. Per cancellarti scrivi STOP.',
  goodbye: 'Ti sei cancellato/a dal canale WhatsApp del {comune}: non riceverai più messaggi. Per tornare scrivi {parole}.',
  goodbyeLists: 'Ti sei cancellato/a da: {liste}. Resti iscritto/a a: {iscrizioni}. Per cancellarti da tutto scrivi STOP.',
  help: 'Canale WhatsApp del {comune}. Parole chiave: {parole}. Liste disponibili: {liste}. Scrivi STATO per vedere le tue iscrizioni, STOP per cancellarti.',
  status: 'Sei iscritto/a a: {iscrizioni}. Per cambiare: {parole}. Per cancellarti da tutto scrivi STOP.',
  statusNone: 'Non sei iscritto/a al canale WhatsApp del {comune}. Per iscriverti scrivi {parole}.',
  unknownHashtag: 'Non conosco {sconosciuti}. Le liste del {comune} sono: {liste}. Riprova, ad esempio: {esempio}',
  askName: 'Per completare l’iscrizione scrivi il tuo nome e cognome (ad esempio: Mario Rossi).',
  askFrazione: 'In quale frazione abiti? Rispondi con il nome: {frazioni}.',
  unknownFrazione: 'Non ho trovato questa frazione. Le frazioni del {comune} sono: {frazioni}. Rispondi con una di queste.',
  askPolicy: 'Ultimo passo: leggi l’informativa privacy del {comune} ({informativa}) e rispondi ACCETTO per completare l’iscrizione.',
  policyAccepted: 'Grazie, hai accettato l’informativa privacy del {comune} (versione {versione}).',
  policyAcceptedResumed:
    'Grazie, hai accettato l’informativa privacy del {comune} (versione {versione}). Da ora ricevi di nuovo tutte le comunicazioni del Comune.',
  policyAlreadyAccepted:
    'Hai già accettato l’informativa privacy in vigore del {comune} (versione {versione}): non devi fare altro. La trovi qui: {informativa}',
  policyOutdated:
    'Questa richiesta riguardava la versione {richiesta} dell’informativa privacy, che nel frattempo è stata sostituita dalla versione {versione}: {informativa}. Leggila e rispondi ACCETTO per accettarla.',
  policyOutdatedAccepted:
    'Questa richiesta riguardava una versione precedente dell’informativa privacy ({richiesta}). Hai già accettato quella in vigore (versione {versione}): non devi fare altro.',
  policyNothingToAccept: 'Non c’è nessuna informativa privacy da accettare: sei a posto. Scrivi STATO per vedere le tue iscrizioni.',
  alreadySubscribed: 'Sei già iscritto/a a: {iscrizioni}. Scrivi STATO per vedere le tue iscrizioni.',
  notSubscribed: 'Non risulti iscritto/a al canale WhatsApp del {comune}. Per iscriverti scrivi {parole}.',
  autoReply: 'Questo numero del {comune} invia solo comunicazioni e non legge le risposte. Per informazioni contatta gli uffici: {uffici}.',
  suspended:
    'Il canale WhatsApp del {comune} è sospeso: per ora non è possibile iscriversi e il Comune non invia comunicazioni. Per informazioni contatta gli uffici: {uffici}. Per cancellarti scrivi STOP.',
  webSignupExpired: 'La richiesta di iscrizione è scaduta. Iscriviti di nuovo dal modulo sul sito del {comune} o scrivi {parole}.',
  webSignupUnknown: 'Non troviamo questa richiesta di iscrizione. Per iscriverti scrivi {parole}.',
  noPolicyLink: 'disponibile sul sito del Comune',
  noOffices: 'i recapiti sono sul sito del Comune',
  none: 'nessuna lista',
} as const;

/** Fills {placeholders}; unknown ones are left out rather than shown raw. */
export function renderReply(template: string, vars: Record<string, string | null | undefined>): string {
  return template
    .replace(/\{(\w+)\}/g, (_, key: string) => vars[key] ?? '')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}
