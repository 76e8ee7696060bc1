import { parse } from 'csv-parse/sync';
import { newId } from '#common';
import { SubscriberRepository } from '#database';
import { ownerClient } from '../support/database.js';
import { bearer, createComune, type Comune, type Session } from '../support/factories.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

interface ImportReport {
  id: string;
  status: string;
  totalRows: number;
  processedRows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  listIds: string[];
  errors: { row: number; reason: string }[];
}

/** CSV import and export of a comune's subscribers: consent rules, row reports, duplicates, isolation, scale. */
describe('subscriber CSV import and export', () => {
  let t: TestApp;
  let amaro: Comune;
  let cavazzo: Comune;
  let lists: { id: string; slug: string }[];

  const api = (c: Comune, path: string) => `/api/v1/tenants/${c.tenant.slug}${path}`;
  const listId = (slug: string) => lists.find((l) => l.slug === slug)!.id;

  async function applyPreset(c: Comune): Promise<void> {
    const res = await t
      .http()
      .post(api(c, '/subscription-settings/preset'))
      .set(...bearer(c.admin))
      .send({ preset: 'san-romano-in-garfagnana' });
    expect(res.status).toBe(200);
  }

  function importCsv(c: Comune, who: Session, csv: string | Buffer, query = '', contentType = 'text/csv') {
    return t
      .http()
      .post(api(c, `/subscribers/imports${query}`))
      .set(...bearer(who))
      .set('Content-Type', contentType)
      .send(csv);
  }

  async function findByPhone(c: Comune, phone: string) {
    return t.app.get(SubscriberRepository).findByPhone(c.tenant.id, phone);
  }

  async function exportRows(c: Comune): Promise<Record<string, string>[]> {
    const res = await t
      .http()
      .get(api(c, '/subscribers/export.csv'))
      .set(...bearer(c.admin));
    expect(res.status).toBe(200);
    return parse<Record<string, string>>(res.text, { columns: true, bom: true });
  }

  beforeAll(async () => {
    t = await createTestApp();
    amaro = await createComune(t, 'sanromano');
    cavazzo = await createComune(t, 'cavazzo');
    await applyPreset(amaro);
    lists = (
      await t
        .http()
        .get(api(amaro, '/lists'))
        .set(...bearer(amaro.editor))
    ).body as { id: string; slug: string }[];
  });
  afterAll(() => t.close());

  it('imports the good rows and reports each rejected row with its reason, and the duplicates', async () => {
    const repo = t.app.get(SubscriberRepository);
    // Already known to the comune, and unsubscribed: an import must not bring them back.
    const existing = await repo.create(amaro.tenant.id, {
      id: newId(),
      phoneE164: '+393331230001',
      waId: '393331230001',
      userId: null,
      source: 'keyword',
      status: 'unsubscribed',
      firstName: 'Gino',
    });
    const csv = [
      'telefono,nome,cognome,frazione,etichette,consenso',
      '338 4706151,Mario,Rossi,Villetta,scuola|famiglia,modulo cartaceo 12/03/2024',
      '320-4321474,Anna,Bianchi,caprignàna,,modulo cartaceo 13/03/2024',
      '12345,Luca,Verdi,Villetta,,modulo cartaceo',
      '+39 333 123 0002,Sara,Neri,Roma,,modulo cartaceo',
      '+39 333 123 0003,Paolo,Gialli,Villetta,,',
      '0039 338 4706151,Mario,Rossi,Villetta,,modulo cartaceo',
      '+39 333 123 0001,Gino,Iscritto,Villetta,,modulo cartaceo',
      '3331230004,=HYPERLINK("http://x"),Formula,Villetta,,modulo cartaceo',
      '+39 333 123 0005,Carla,,Villetta,,modulo cartaceo',
    ].join('\n');
    const res = await importCsv(amaro, amaro.admin, csv);
    expect(res.status).toBe(201);
    const report = res.body as ImportReport;
    expect(report).toMatchObject({ status: 'completed', totalRows: 9, processedRows: 9, accepted: 3, rejected: 4, duplicates: 2 });
    expect(report.listIds).toEqual([listId('emergenze')]); // the preset's default list
    expect(report.errors.map((e) => e.row)).toEqual([4, 5, 6, 10]);
    expect(report.errors[0].reason).toContain('is not a valid phone number');
    expect(report.errors[1].reason).toContain('"Roma" is not one of the comune\'s frazioni');
    expect(report.errors[2].reason).toContain('no consent evidence');
    // San Romano requires name, surname and frazione of every subscriber, imported ones too.
    expect(report.errors[3].reason).toBe('missing what the comune requires: last name (cognome)');
    expect(JSON.stringify(report.errors)).not.toContain('12345');

    const mario = await findByPhone(amaro, '+393384706151');
    expect(mario).toMatchObject({
      firstName: 'Mario',
      lastName: 'Rossi',
      frazione: 'Villetta',
      tags: ['scuola', 'famiglia'],
      status: 'active',
      source: 'import',
      activatedAt: expect.any(Date),
    });
    expect(await findByPhone(amaro, '+393204321474')).toMatchObject({ frazione: 'Caprignana' });
    expect(await repo.activeListIds(amaro.tenant.id, mario!.id)).toEqual([listId('emergenze')]);
    expect(await repo.findById(amaro.tenant.id, existing.id)).toMatchObject({ status: 'unsubscribed', firstName: 'Gino', lastName: null });
    expect(await repo.activeListIds(amaro.tenant.id, existing.id)).toEqual([]);

    const ledger = await repo.ledger(amaro.tenant.id, mario!.id);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      type: 'opt_in',
      channel: 'import',
      listIds: [listId('emergenze')],
      policyVersion: '2024-09',
      evidence: { importId: report.id, row: 2, consentEvidence: 'modulo cartaceo 12/03/2024', userId: amaro.admin.id },
    });
    expect(await repo.ledger(amaro.tenant.id, existing.id)).toEqual([]);

    const audit = await t
      .http()
      .get(api(amaro, '/audit-events?limit=100'))
      .set(...bearer(amaro.admin));
    expect(audit.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'subscribers.imported', targetId: report.id })]));
  });

  it('reads an Italian Excel file: `;` separated, with a BOM, Italian headers, CRLF lines, into the chosen lists', async () => {
    const csv = Buffer.from(
      '\uFEFFCellulare;Nome;Cognome;Località;Etichette;Consenso\r\n' +
        '340 1234567;Nicolò;D’Angelo;San Romano;scuola anziani;"modulo cartaceo; 02/04/2024"\r\n' +
        ';;;;;\r\n' +
        '347 1234567;Chiara;Lenzi;Villetta;;modulo web\r\n',
      'utf8',
    );
    const res = await importCsv(amaro, amaro.admin, csv, `?listIds=${listId('emergenze')},${listId('pubblica-utilita')}`);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'completed', totalRows: 2, accepted: 2, rejected: 0, duplicates: 0 });
    const nicolo = await findByPhone(amaro, '+393401234567');
    expect(nicolo).toMatchObject({ firstName: 'Nicolò', lastName: 'D’Angelo', frazione: 'San Romano', tags: ['scuola', 'anziani'] });
    const active = await t.app.get(SubscriberRepository).activeListIds(amaro.tenant.id, nicolo!.id);
    expect(active.sort()).toEqual([listId('emergenze'), listId('pubblica-utilita')].sort());
    const [event] = await t.app.get(SubscriberRepository).ledger(amaro.tenant.id, nicolo!.id);
    expect(event.evidence).toMatchObject({ row: 2, consentEvidence: 'modulo cartaceo; 02/04/2024' });

    // Excel's plain "CSV" is Windows-1252: the accents survive.
    const legacy = Buffer.concat([
      Buffer.from('telefono;nome;cognome;frazione;consenso\r\n3401234568;Nicol', 'latin1'),
      Buffer.from([0xf2]),
      Buffer.from(';Neri;Villetta;modulo\r\n', 'latin1'),
    ]);
    expect((await importCsv(amaro, amaro.admin, legacy)).body).toMatchObject({ accepted: 1 });
    expect(await findByPhone(amaro, '+393401234568')).toMatchObject({ firstName: 'Nicolò' });
  });

  it('accepts rows without evidence when the admin declares consent for the whole file, recording the declaration', async () => {
    const csv = 'phone,first_name,last_name,frazione\n3471112223,Elena,Marchi,Villetta\n3471112224,Piero,Conti,Villetta\n';
    const without = await importCsv(amaro, amaro.admin, csv);
    expect(without.body).toMatchObject({ status: 'completed', accepted: 0, rejected: 2 });
    expect(without.body.errors[0].reason).toContain('no consent evidence');

    const declaration = 'Iscritti alla lista broadcast del Comune con consenso raccolto su modulo';
    const res = await importCsv(amaro, amaro.admin, csv, `?consentDeclaration=${encodeURIComponent(declaration)}`);
    expect(res.body).toMatchObject({ status: 'completed', accepted: 2, rejected: 0, consentDeclaration: declaration });
    const elena = await findByPhone(amaro, '+393471112223');
    const [event] = await t.app.get(SubscriberRepository).ledger(amaro.tenant.id, elena!.id);
    expect(event).toMatchObject({ type: 'opt_in', channel: 'import', evidence: { importId: res.body.id, row: 2, declaration } });

    const short = await importCsv(amaro, amaro.admin, csv, '?consentDeclaration=ok');
    expect(short.status).toBe(400);
  });

  it('refuses what is not an importable file, and lets only admins import', async () => {
    const csv = 'telefono,consenso\n3471112299,modulo\n';
    expect((await importCsv(amaro, amaro.editor, csv)).status).toBe(403);
    const json = await t
      .http()
      .post(api(amaro, '/subscribers/imports'))
      .set(...bearer(amaro.admin))
      .send({ rows: [] });
    expect(json.body).toMatchObject({ statusCode: 400, code: 'CSV_CONTENT_TYPE' });
    expect((await importCsv(amaro, amaro.admin, csv, '', 'text/plain')).body).toMatchObject({ statusCode: 400, code: 'CSV_CONTENT_TYPE' });
    expect((await importCsv(amaro, amaro.admin, csv, '', 'application/octet-stream')).status).toBe(415);
    expect((await importCsv(amaro, amaro.admin, '')).body).toMatchObject({ statusCode: 400 });
    expect((await importCsv(amaro, amaro.admin, 'telefono;nome\n')).body).toMatchObject({ statusCode: 400, code: 'CSV_EMPTY' });
    expect((await importCsv(amaro, amaro.admin, 'nome,cognome\nMario,Rossi\n')).body).toMatchObject({
      statusCode: 400,
      code: 'CSV_NO_PHONE_COLUMN',
    });
    expect((await importCsv(amaro, amaro.admin, 'telefono,nome\n"338,Mario\n')).body).toMatchObject({ statusCode: 400, code: 'CSV_MALFORMED' });
    const tooMany = `telefono\n${'3331234567\n'.repeat(100_001)}`;
    expect((await importCsv(amaro, amaro.admin, tooMany)).body).toMatchObject({ statusCode: 400, code: 'CSV_TOO_MANY_ROWS' });
    expect((await importCsv(amaro, amaro.admin, csv, '?listIds=not-a-uuid')).status).toBe(400);
    expect((await importCsv(amaro, amaro.admin, csv, '?tenantId=x')).status).toBe(400);
    // Another comune's list is as unknown as a made-up one; a comune with no default list must choose.
    expect((await importCsv(cavazzo, cavazzo.admin, csv, `?listIds=${listId('emergenze')}`)).body).toMatchObject({
      statusCode: 404,
      code: 'LIST_NOT_FOUND',
    });
    expect((await importCsv(cavazzo, cavazzo.admin, csv)).body).toMatchObject({ statusCode: 400, code: 'IMPORT_NO_LISTS' });
    expect(await findByPhone(amaro, '+393471112299')).toBeNull();
  });

  it('shows imports to the comune’s staff, and to nobody else', async () => {
    const page = await t
      .http()
      .get(api(amaro, '/subscribers/imports'))
      .set(...bearer(amaro.editor));
    expect(page.status).toBe(200);
    expect(page.body.total).toBeGreaterThanOrEqual(4);
    const first = (page.body.items as ImportReport[]).find((i) => i.totalRows === 9)!;
    expect(first).not.toHaveProperty('errors');
    const one = await t
      .http()
      .get(api(amaro, `/subscribers/imports/${first.id}`))
      .set(...bearer(amaro.editor));
    expect(one.body).toMatchObject({ id: first.id, status: 'completed', processedRows: 9, accepted: 3 });
    expect(one.body.errors).toHaveLength(4);
    expect(
      (
        await t
          .http()
          .get(api(cavazzo, `/subscribers/imports/${first.id}`))
          .set(...bearer(cavazzo.admin))
      ).status,
    ).toBe(404);
    expect(
      (
        await t
          .http()
          .get(api(amaro, `/subscribers/imports/${first.id}`))
          .set(...bearer(cavazzo.admin))
      ).status,
    ).toBe(404);
    expect(
      (
        await t
          .http()
          .get(api(amaro, '/subscribers/imports/not-a-uuid'))
          .set(...bearer(amaro.admin))
      ).body,
    ).toMatchObject({ statusCode: 404, code: 'SUBSCRIBER_IMPORT_NOT_FOUND' });
    const cavazzoPage = await t
      .http()
      .get(api(cavazzo, '/subscribers/imports'))
      .set(...bearer(cavazzo.admin));
    expect(cavazzoPage.body.total).toBe(0);
  });

  it('exports the subscribers as CSV with their lists, leaving out erased ones', async () => {
    const res = await t
      .http()
      .get(api(amaro, '/subscribers/export.csv'))
      .set(...bearer(amaro.admin));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      new RegExp(`^attachment; filename="iscritti-${amaro.tenant.slug}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`),
    );
    expect(res.text.split('\r\n')[0]).toBe('\uFEFFphone,first_name,last_name,frazione,tags,status,lists,source,subscribed_at');
    const rows = parse<Record<string, string>>(res.text, { columns: true, bom: true });
    expect(rows.find((r) => r.phone === '+393384706151')).toMatchObject({
      first_name: 'Mario',
      last_name: 'Rossi',
      frazione: 'Villetta',
      tags: 'scuola|famiglia',
      status: 'active',
      lists: 'emergenze',
      source: 'import',
      subscribed_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    expect(rows.find((r) => r.phone === '+393401234567')).toMatchObject({ first_name: 'Nicolò', lists: 'emergenze|pubblica-utilita' });
    expect(rows.find((r) => r.phone === '+393331230001')).toMatchObject({ status: 'unsubscribed', lists: '' });
    // A name that reads like a formula is exported as text.
    expect(rows.find((r) => r.phone === '+393331230004')).toMatchObject({ first_name: '\'=HYPERLINK("http://x")' });

    const anna = await findByPhone(amaro, '+393204321474');
    expect(
      (
        await t
          .http()
          .post(api(amaro, `/subscribers/${anna!.id}/erase`))
          .set(...bearer(amaro.admin))
      ).status,
    ).toBe(204);
    const after = await exportRows(amaro);
    expect(after).toHaveLength(rows.length - 1);
    expect(after.find((r) => r.phone === '+393204321474')).toBeUndefined();
    expect(after.some((r) => r.last_name === 'Bianchi')).toBe(false);

    expect(
      (
        await t
          .http()
          .get(api(amaro, '/subscribers/export.csv'))
          .set(...bearer(amaro.editor))
      ).status,
    ).toBe(403);
    expect(
      (
        await t
          .http()
          .get(api(amaro, '/subscribers/export.csv'))
          .set(...bearer(cavazzo.admin))
      ).status,
    ).toBe(404);
    expect(await exportRows(cavazzo)).toEqual([]);
  });

  it('imports a 50,000-row file, with its progress saved as it goes', async () => {
    const big = await createComune(t, 'grande');
    await applyPreset(big);
    const lines = ['telefono;nome;cognome;frazione;consenso'];
    for (let i = 0; i < 50_000; i++) {
      lines.push(`333 ${String(1_000_000 + i)};Nome${i};Cognome${i};${i % 2 ? 'Villetta' : 'Caprignana'};modulo cartaceo n. ${i}`);
    }
    const csv = lines.join('\r\n');

    // Watch the import's progress from another request while it runs.
    const seen: { status: string; processedRows: number }[] = [];
    let running = true;
    const watcher = (async () => {
      while (running) {
        const page = await t
          .http()
          .get(api(big, '/subscribers/imports'))
          .set(...bearer(big.editor));
        const item = (page.body.items as ImportReport[] | undefined)?.[0];
        if (item) seen.push({ status: item.status, processedRows: item.processedRows });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // How fast is a benchmark's business, not a test's: only the outcome and the progress are checked.
    const res = await importCsv(big, big.admin, csv);
    running = false;
    await watcher;

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'completed', totalRows: 50_000, processedRows: 50_000, accepted: 50_000, rejected: 0, duplicates: 0 });
    for (const s of seen.filter((x) => x.status === 'running')) expect(s.processedRows % 2_000).toBe(0);

    const db = await ownerClient(t.config);
    try {
      const count = async (sql: string): Promise<number> => Number((await db.query<{ n: string }>(sql, [big.tenant.id])).rows[0].n);
      expect(await count(`SELECT count(*) AS n FROM subscribers WHERE tenant_id = $1 AND source = 'import' AND status = 'active'`)).toBe(50_000);
      expect(await count(`SELECT count(*) AS n FROM subscriptions WHERE tenant_id = $1 AND status = 'active'`)).toBe(50_000);
      expect(await count(`SELECT count(*) AS n FROM consent_events WHERE tenant_id = $1 AND type = 'opt_in' AND channel = 'import'`)).toBe(50_000);
    } finally {
      await db.end();
    }

    const again = await importCsv(big, big.admin, lines.slice(0, 1001).join('\n'));
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 1000 });

    const exported = await exportRows(big);
    expect(exported).toHaveLength(50_000);
    expect(new Set(exported.map((r) => r.phone)).size).toBe(50_000);
  }, 180_000);
});
