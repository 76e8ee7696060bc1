import { ValidationError } from '#common';
import { checkRow, decodeCsv, detectDelimiter, headerKey, mapHeader, parseSubscriberCsv, safeCell, type CsvRow } from './subscriber-csv.js';

const FRAZIONI = ['San Romano', 'Caprignana', 'Villetta'];
const row = (over: Partial<CsvRow> = {}): CsvRow => ({
  row: 2,
  phone: '338 4706151',
  firstName: '',
  lastName: '',
  frazione: '',
  tags: '',
  consent: 'modulo cartaceo 12/03/2024',
  ...over,
});
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof ValidationError ? err.code : 'not a ValidationError';
  }
  return undefined;
};

describe('subscriber CSV', () => {
  describe('decodeCsv', () => {
    it('strips a UTF-8 BOM', () => {
      expect(decodeCsv('\uFEFFtelefono')).toBe('telefono');
      expect(decodeCsv(Buffer.from('\uFEFFLocalità', 'utf8'))).toBe('Località');
    });

    it('reads bytes that are not UTF-8 as Windows-1252, as Excel’s plain CSV writes them', () => {
      expect(decodeCsv(Buffer.from([0x4c, 0x6f, 0x63, 0x61, 0x6c, 0x69, 0x74, 0xe0, 0x3b, 0x80]))).toBe('Località;€');
      expect(decodeCsv(Buffer.concat([Buffer.from('D'), Buffer.from([0x92]), Buffer.from('Angelo;Nicol'), Buffer.from([0xf2])]))).toBe(
        'D’Angelo;Nicolò',
      );
    });
  });

  describe('detectDelimiter', () => {
    it('takes the separator of the header line', () => {
      expect(detectDelimiter('telefono;nome;cognome\n1,2,3,4,5')).toBe(';');
      expect(detectDelimiter('phone,first_name\n')).toBe(',');
      expect(detectDelimiter('phone\tfirst_name\tlast_name')).toBe('\t');
      expect(detectDelimiter('phone')).toBe(',');
    });

    it('ignores separators inside quotes', () => {
      expect(detectDelimiter('"a;b;c";"d";x,y\n')).toBe(';');
      expect(detectDelimiter('"nome; cognome",telefono,frazione')).toBe(',');
    });
  });

  describe('headers', () => {
    it('folds case, accents, spaces and punctuation', () => {
      expect(headerKey(' Località ')).toBe('localita');
      expect(headerKey('First Name')).toBe('first_name');
      expect(headerKey('Numero di telefono')).toBe('numero_di_telefono');
      expect(headerKey('CONSENSO')).toBe('consenso');
    });

    it('maps Italian and English names, ignoring other columns', () => {
      expect(mapHeader(['Cellulare', 'Nome', 'COGNOME', 'Frazione', 'Etichette', 'Consenso', 'Note'])).toEqual({
        phone: 0,
        firstName: 1,
        lastName: 2,
        frazione: 3,
        tags: 4,
        consent: 5,
      });
      expect(mapHeader(['phone', 'first_name', 'last_name', 'tags', 'consent_evidence'])).toMatchObject({ phone: 0, consent: 4 });
    });

    it('needs a phone column, and each field once', () => {
      expect(codeOf(() => mapHeader(['nome', 'cognome']))).toBe('CSV_NO_PHONE_COLUMN');
      expect(codeOf(() => mapHeader(['telefono', 'cellulare']))).toBe('CSV_DUPLICATE_COLUMN');
    });
  });

  describe('parseSubscriberCsv', () => {
    it('reads rows with their line numbers, skipping blank lines and rows of empty cells', () => {
      const parsed = parseSubscriberCsv('telefono;nome;frazione;note\n338 4706151;Mario;Villetta;x\n\n;;;\n320-4321474;"Anna; Maria"\n', 10);
      expect(parsed.fields).toEqual(['phone', 'firstName', 'frazione']);
      expect(parsed.rows).toEqual([
        { row: 2, phone: '338 4706151', firstName: 'Mario', lastName: '', frazione: 'Villetta', tags: '', consent: '' },
        { row: 5, phone: '320-4321474', firstName: 'Anna; Maria', lastName: '', frazione: '', tags: '', consent: '' },
      ]);
    });

    it('reads a quote inside an unquoted cell as text, as spreadsheets do', () => {
      expect(parseSubscriberCsv('telefono,nome\n338 4706151,Mario "Il Rosso"\n', 10).rows[0]).toMatchObject({ firstName: 'Mario "Il Rosso"' });
    });

    it('refuses an empty file, a header without rows, too many rows, broken quoting and undecodable text', () => {
      expect(codeOf(() => parseSubscriberCsv('', 10))).toBe('CSV_EMPTY');
      expect(codeOf(() => parseSubscriberCsv(' \n\n', 10))).toBe('CSV_EMPTY');
      expect(codeOf(() => parseSubscriberCsv('telefono\n', 10))).toBe('CSV_EMPTY');
      expect(codeOf(() => parseSubscriberCsv('telefono\n1\n2\n3\n', 2))).toBe('CSV_TOO_MANY_ROWS');
      expect(codeOf(() => parseSubscriberCsv('telefono,nome\n"338,Mario\n', 10))).toBe('CSV_MALFORMED');
      expect(codeOf(() => parseSubscriberCsv('telefono,nome\n338,Nicol\uFFFD\n', 10))).toBe('CSV_ENCODING');
    });
  });

  describe('checkRow', () => {
    const rules = { frazioni: FRAZIONI, declared: false };

    it('accepts a complete row, normalising phone, names, frazione and tags', () => {
      expect(
        checkRow(
          row({ phone: "'+39 320-4321474", firstName: '  Anna   Maria ', lastName: 'Rossi', frazione: 'villétta', tags: 'Scuola | famiglia scuola' }),
          rules,
        ),
      ).toEqual({
        ok: true,
        value: {
          row: 2,
          phoneE164: '+393204321474',
          firstName: 'Anna Maria',
          lastName: 'Rossi',
          frazione: 'Villetta',
          tags: ['scuola', 'famiglia'],
          consent: 'modulo cartaceo 12/03/2024',
        },
      });
      expect(checkRow(row({ phone: '0039 338 4706151' }), rules)).toMatchObject({ ok: true, value: { phoneE164: '+393384706151', frazione: null } });
    });

    it('rejects a row without consent evidence unless the file is declared', () => {
      const missing = checkRow(row({ consent: ' ' }), rules);
      expect(missing).toMatchObject({ ok: false, reason: expect.stringContaining('no consent evidence') });
      expect(checkRow(row({ consent: '' }), { ...rules, declared: true })).toMatchObject({ ok: true, value: { consent: null } });
    });

    it('gives every reason a row is rejected for', () => {
      const bad = checkRow(row({ phone: '12', frazione: 'Roma', tags: 'ok bad-tag', consent: '' }), rules);
      expect(bad.ok).toBe(false);
      const reason = bad.ok ? '' : bad.reason;
      expect(reason).toContain('is not a valid phone number');
      expect(reason).toContain('"Roma" is not one of the comune\'s frazioni');
      expect(reason).toContain('bad-tag');
      expect(reason).toContain('no consent evidence');
      expect(checkRow(row({ phone: 'mario' }), rules)).toMatchObject({ ok: false, reason: expect.stringContaining('only digits') });
      expect(checkRow(row({ frazione: 'Villetta' }), { ...rules, frazioni: [] })).toMatchObject({
        ok: false,
        reason: expect.stringContaining('the comune has listed none'),
      });
      expect(checkRow(row({ lastName: 'x'.repeat(101) }), rules)).toMatchObject({ ok: false, reason: expect.stringContaining('last name') });
    });
  });

  it('rejects a row without what the comune requires (San Romano: name, surname and frazione)', () => {
    const sanRomano = { frazioni: FRAZIONI, declared: true, required: ['first_name', 'last_name', 'frazione'] as const };
    expect(checkRow(row({ firstName: 'Anna', lastName: 'Rossi', frazione: 'Villetta' }), sanRomano)).toMatchObject({ ok: true });
    const bad = checkRow(row({ firstName: 'Anna', lastName: ' ', frazione: '' }), sanRomano);
    expect(bad).toEqual({ ok: false, reason: 'missing what the comune requires: last name (cognome), frazione' });
    // Santa Fiora asks for nothing beyond the number.
    expect(checkRow(row({ firstName: '', lastName: '', frazione: '' }), { frazioni: [], declared: true, required: [] })).toMatchObject({ ok: true });
  });

  it('keeps a cell that starts like a formula from being run by a spreadsheet', () => {
    expect(safeCell('=HYPERLINK("http://x")')).toBe('\'=HYPERLINK("http://x")');
    expect(safeCell('-Mario')).toBe("'-Mario");
    expect(safeCell('Mario')).toBe('Mario');
    expect(safeCell(null)).toBe('');
  });
});
