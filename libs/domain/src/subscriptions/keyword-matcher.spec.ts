import { matchFrazione, matchKeyword, parseName, samePhrase, type KeywordRuleDef, type ListDef } from './keyword-matcher.js';
import { foldText, keywordTokens } from './keyword-text.js';

const lists: ListDef[] = [
  { id: 'l-em', slug: 'emergenze', hashtag: '#EMERGENZE', name: 'Emergenze e protezione civile' },
  { id: 'l-pu', slug: 'pubblica-utilita', hashtag: "#PUBBLICAUTILITA'", name: 'Servizi e viabilità' },
];
const frazioni = ['Castelnuovo', 'Villetta', 'Sillicagnana', 'Caprignana', 'Verrucolette', 'San Romano'];

const sanRomano: KeywordRuleDef[] = [
  { id: 'on', action: 'subscribe', phrases: ['ISCRIZIONE ON'], listIds: [] },
  { id: 'off', action: 'unsubscribe', phrases: ['ISCRIZIONE OFF'], listIds: [] },
];
const santaFiora: KeywordRuleDef[] = [
  { id: 'on', action: 'subscribe', phrases: ['ATTIVA COMUNE AMICO'], listIds: ['default'] },
  { id: 'off', action: 'unsubscribe', phrases: ['DISATTIVA COMUNE AMICO'], listIds: [] },
];
const generic: KeywordRuleDef[] = [
  { id: 'attiva', action: 'subscribe', phrases: ['ATTIVA'], listIds: [] },
  { id: 'amico', action: 'subscribe', phrases: ['ATTIVA COMUNE AMICO'], listIds: [] },
  { id: 'iscrivimi', action: 'subscribe', phrases: ['Iscrivimi'], listIds: [] },
  { id: 'cancellami', action: 'unsubscribe', phrases: ['Cancellami', 'DISATTIVA'], listIds: [] },
];

describe('keyword text folding', () => {
  it.each([
    ["PUBBLICAUTILITA'", 'pubblicautilita'],
    ['PubblicaUtilità', 'pubblicautilita'],
    ['PUBBLICAUTILITÀ', 'pubblicautilita'],
    ['Perché', 'perche'],
    ['CITTÀ’', 'citta'],
  ])('%s folds to %s', (input, folded) => {
    expect(keywordTokens(input)).toEqual([folded]);
  });

  it('drops punctuation around words and extra spaces, keeps hashtags', () => {
    expect(keywordTokens('  «Iscrizione   on»,   #Emergenze!  ')).toEqual(['iscrizione', 'on', '#emergenze']);
    expect(foldText("dell'acqua")).toBe("dell'acqua");
  });
});

describe('matchKeyword', () => {
  it.each(['ISCRIZIONE ON #EMERGENZE', 'iscrizione on #emergenze', '  Iscrizione  On   #Emergenze. ', 'ISCRIZIONE ON #emergènze'])(
    'reads "%s" as a sign-up to #EMERGENZE',
    (text) => {
      const m = matchKeyword(text, sanRomano, lists, frazioni);
      expect(m).toMatchObject({ kind: 'rule', rule: { id: 'on' }, unknownHashtags: [] });
      expect(m.kind === 'rule' && m.lists.map((l) => l.slug)).toEqual(['emergenze']);
    },
  );

  it.each(["ISCRIZIONE ON #PUBBLICAUTILITA'", 'iscrizione on #PubblicaUtilità', 'ISCRIZIONE ON #pubblicautilita'])(
    'matches apostrophes standing for accents: %s',
    (text) => {
      const m = matchKeyword(text, sanRomano, lists, frazioni);
      expect(m.kind === 'rule' && m.lists.map((l) => l.slug)).toEqual(['pubblica-utilita']);
    },
  );

  it('reads name, surname and frazione after the keyword', () => {
    const m = matchKeyword('ISCRIZIONE ON #EMERGENZE Mario Rossi frazione Villetta', sanRomano, lists, frazioni);
    expect(m).toMatchObject({ kind: 'rule', fields: { firstName: 'Mario', lastName: 'Rossi', frazione: 'Villetta' } });
    const m2 = matchKeyword('iscrizione on #emergenze, anna maria DE LUCA, san romano', sanRomano, lists, frazioni);
    expect(m2).toMatchObject({ fields: { firstName: 'Anna', lastName: 'Maria De Luca', frazione: 'San Romano' } });
  });

  it('keeps accents and apostrophes in names', () => {
    const m = matchKeyword("Iscrivimi Niccolò D'Ambrosio", generic, lists, []);
    expect(m).toMatchObject({ fields: { firstName: 'Niccolò', lastName: "D'Ambrosio", frazione: null } });
  });

  it('reports hashtags that name no list', () => {
    const m = matchKeyword('ISCRIZIONE ON #EVENTI #EMERGENZE', sanRomano, lists, frazioni);
    expect(m).toMatchObject({ kind: 'rule', unknownHashtags: ['#EVENTI'] });
    expect(m.kind === 'rule' && m.lists.map((l) => l.slug)).toEqual(['emergenze']);
  });

  it('prefers the longest phrase', () => {
    expect(matchKeyword('ATTIVA COMUNE AMICO', generic, lists, [])).toMatchObject({ rule: { id: 'amico' } });
    expect(matchKeyword('attiva', generic, lists, [])).toMatchObject({ rule: { id: 'attiva' } });
    expect(matchKeyword('DISATTIVA COMUNE AMICO', santaFiora, lists, [])).toMatchObject({ rule: { id: 'off' } });
  });

  it('does not read a keyword inside another word or later in a sentence', () => {
    expect(matchKeyword('ATTIVAZIONE', generic, lists, [])).toEqual({ kind: 'none' });
    expect(matchKeyword('vorrei che ATTIVA', generic, lists, [])).toEqual({ kind: 'none' });
    expect(matchKeyword('Buongiorno, c’è una buca in via Roma', generic, lists, [])).toEqual({ kind: 'none' });
  });

  it.each(['STOP', 'stop', 'Stop!', 'ANNULLA', 'annullà', 'Cancellami.', 'DISISCRIVIMI', '  disiscrivimi  '])(
    'reads "%s" as leaving every list',
    (text) => {
      expect(matchKeyword(text, sanRomano, lists, frazioni)).toMatchObject({ kind: 'stop_all' });
    },
  );

  it('does not read STOP inside a sentence as an opt-out', () => {
    expect(matchKeyword('stop al traffico in via Roma?', sanRomano, lists, frazioni)).toEqual({ kind: 'none' });
  });

  it('reads the universal words as leaving every list even where a comune also uses one as its own phrase', () => {
    expect(matchKeyword('Cancellami', generic, lists, [])).toMatchObject({ kind: 'stop_all' });
    expect(matchKeyword('DISATTIVA', generic, lists, [])).toMatchObject({ kind: 'rule', rule: { id: 'cancellami' } });
  });

  it('answers STATO and AIUTO when the comune has no phrase for them', () => {
    expect(matchKeyword('Stato', sanRomano, lists, frazioni)).toEqual({ kind: 'status' });
    expect(matchKeyword('AIUTO!', sanRomano, lists, frazioni)).toEqual({ kind: 'help' });
    expect(matchKeyword('', sanRomano, lists, frazioni)).toEqual({ kind: 'none' });
    expect(matchKeyword('🙂', sanRomano, lists, frazioni)).toEqual({ kind: 'none' });
  });

  it('reads ACCETTO on its own as accepting the privacy policy in every comune, the comune’s own phrase first', () => {
    for (const text of ['ACCETTO', 'accetto!', ' Accettò ', '«Accetto»']) {
      expect(matchKeyword(text, santaFiora, lists, [])).toEqual({ kind: 'accept_policy' });
    }
    const own: KeywordRuleDef[] = [{ id: 'acc', action: 'accept_policy', phrases: ['ACCETTO', 'ACCETTO INFORMATIVA'], listIds: [] }];
    expect(matchKeyword('accetto informativa', own, lists, [])).toMatchObject({ kind: 'rule', rule: { id: 'acc' } });
    expect(matchKeyword('Accetto', own, lists, [])).toMatchObject({ kind: 'rule', rule: { id: 'acc' } });
    // Inside a sentence it is not an answer to the request.
    expect(matchKeyword('accetto volentieri ma ho una domanda', santaFiora, lists, [])).toEqual({ kind: 'none' });
  });

  it('reads unsubscribe from one list', () => {
    const m = matchKeyword('ISCRIZIONE OFF #EMERGENZE', sanRomano, lists, frazioni);
    expect(m).toMatchObject({ kind: 'rule', rule: { action: 'unsubscribe' }, fields: { firstName: null } });
    expect(m.kind === 'rule' && m.lists.map((l) => l.slug)).toEqual(['emergenze']);
  });

  it('reports an opt-out’s hashtags that name no list, rather than reading them as no list named', () => {
    const m = matchKeyword('ISCRIZIONE OFF #PUBBLICA', sanRomano, lists, frazioni);
    expect(m).toMatchObject({ kind: 'rule', rule: { id: 'off' }, lists: [], unknownHashtags: ['#PUBBLICA'] });
    // Other words after an opt-out are not lists, nor mistakes: "Cancellami per favore" still leaves.
    expect(matchKeyword('Cancellami per favore', generic, lists, [])).toMatchObject({ rule: { id: 'cancellami' }, lists: [], unknownHashtags: [] });
  });

  it('reads a list’s hashtag written without the # as that list, not as a name', () => {
    const off = matchKeyword('ISCRIZIONE OFF emergenze', sanRomano, lists, frazioni);
    expect(off.kind === 'rule' && off.lists.map((l) => l.slug)).toEqual(['emergenze']);
    const on = matchKeyword('ISCRIZIONE ON PUBBLICAUTILITA Mario Rossi Villetta', sanRomano, lists, frazioni);
    expect(on).toMatchObject({ unknownHashtags: [], fields: { firstName: 'Mario', lastName: 'Rossi', frazione: 'Villetta' } });
    expect(on.kind === 'rule' && on.lists.map((l) => l.slug)).toEqual(['pubblica-utilita']);
    expect(matchKeyword('ISCRIZIONE ON EMERGENZE', sanRomano, lists, frazioni)).toMatchObject({ fields: { firstName: null } });
  });
});

describe('dialogue answers', () => {
  it('finds a frazione tolerant of case and accents', () => {
    expect(matchFrazione('villetta', frazioni)).toBe('Villetta');
    expect(matchFrazione('Abito a San Romano', frazioni)).toBe('San Romano');
    expect(matchFrazione('Roma', frazioni)).toBeNull();
  });
  it('reads a name', () => {
    expect(parseName('mario rossi')).toEqual({ firstName: 'Mario', lastName: 'Rossi' });
    expect(parseName('Mario')).toEqual({ firstName: 'Mario', lastName: null });
  });
  it('knows when two phrases are the same keyword', () => {
    expect(samePhrase('Iscrizione ON', '  ISCRIZIONE on ')).toBe(true);
    expect(samePhrase('ATTIVA', 'DISATTIVA')).toBe(false);
  });
});

describe('long answers to the dialogue', () => {
  const frazioni = ['Villetta', 'Caprignana', 'Sillicagnana', 'San Romano', 'Naggio', 'Orzaglia', 'Verrucolette', 'Vibbiana'];
  // WhatsApp's longest text: every span of it was compared with every frazione (minutes of CPU,
  // beyond jest's timeout), and the name read from it was longer than a subscriber's record holds.
  const report = Array.from({ length: 1_365 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz'[i % 26])
    .join(' ')
    .slice(0, 4_096);

  it('reads a frazione among the first words of a long message, and not after them', () => {
    expect(matchFrazione(`abito a San Romano ${report}`, frazioni)).toBe('San Romano');
    expect(matchFrazione(`${report} Villetta`, frazioni)).toBeNull();
  });

  it('keeps a name from a long answer within what a subscriber record holds', () => {
    const { firstName, lastName } = parseName(`Mario ${'Rossi'.repeat(60)} ${report}`);
    expect(firstName).toBe('Mario');
    expect(lastName!.length).toBeLessThanOrEqual(100);
  });
});
