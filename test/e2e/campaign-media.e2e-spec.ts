import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { newId } from '#common';
import { SubscriberRepository } from '#database';
import { ProviderMediaService } from '#domain';
import type { OutboundRecord } from '../../apps/simulator/src/simulator-client.js';
import { startChannel, type Channel } from '../support/channel.js';
import { ownerClient } from '../support/database.js';
import { bearer, type Comune, type Session } from '../support/factories.js';
import { campaignEnded, openWindow as openTheWindow, tenantApi } from '../support/tenant-api.js';
import { waitFor } from '../support/worker.js';

const MB = 1024 * 1024;
/** Enough of a PNG for WhatsApp's type check (the signature) and ours. */
const png = (size = 2048, fill = 7): Buffer => {
  const b = Buffer.alloc(size, fill);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b);
  return b;
};
const pdf = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

/**
 * Campaign media by upload, end to end with the simulator as a real HTTP server: the comune's
 * media library (types from the bytes, WhatsApp's limits), campaigns attaching a library file by
 * id, one upload per sending number however many recipients, a refused id uploaded again, a file
 * WhatsApp refuses failing the campaign once, and another comune seeing none of it.
 */
describe('campaign media', () => {
  let ch: Channel;
  let db: Client;
  let amaro: Comune;
  let cavazzo: Comune;
  let news: string;
  let imageTemplateId: string;

  const http = () => ch.t.http();
  const api = (c: Comune) => `/api/v1/tenants/${c.tenant.slug}`;
  const post: ReturnType<typeof tenantApi>['post'] = (...args) => tenantApi(ch.t).post(...args);
  const get: ReturnType<typeof tenantApi>['get'] = (...args) => tenantApi(ch.t).get(...args);
  const upload = (c: Comune, s: Session, bytes: Buffer, filename: string, contentType: string) =>
    tenantApi(ch.t).upload(c, s, '/media', { bytes, filename, contentType });

  let seq = 0;
  const phone = () => `+39334${String(1_000_000 + ++seq * 7919 + Math.floor(Math.random() * 1000)).slice(0, 7)}`;
  const subscribers = async (c: Comune, list: string, n: number) => {
    const repo = ch.t.app.get(SubscriberRepository);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const s = await repo.create(c.tenant.id, {
        id: newId(),
        phoneE164: phone(),
        waId: null,
        userId: null,
        source: 'editor',
        status: 'active',
        firstName: null,
      });
      await repo.subscribe(c.tenant.id, s.id, [list]);
      out.push(s.phoneE164!);
    }
    await db.query(`UPDATE subscribers SET activated_at = now() WHERE tenant_id = $1 AND activated_at IS NULL`, [c.tenant.id]);
    return out;
  };
  const openWindow = (c: Comune, e164: string) => openTheWindow(ch, db, c, e164);
  const list = async (c: Comune, slug: string) =>
    (await post(c, c.admin, '/lists', { slug, hashtag: `#${slug.toUpperCase()}`, name: slug }).expect(201)).body.id as string;
  const finished = (c: Comune, id: string) => campaignEnded(ch.t, db, c, id, { statuses: ['completed', 'failed'] });
  /** Creates a campaign, sends it and waits until it completes or fails; its id and final status. */
  const sendCampaign = async (c: Comune, fields: Record<string, unknown>): Promise<{ id: string; status: string; media: unknown }> => {
    const created = await post(c, c.editor, '/campaigns', fields).expect(201);
    const id = created.body.id as string;
    await post(c, c.editor, `/campaigns/${id}/send`).expect(202);
    return { id, status: await finished(c, id), media: created.body.media };
  };
  const sentFor = async (c: Comune, campaignId: string): Promise<OutboundRecord[]> => {
    const ids = new Set(
      (
        (await db.query(`SELECT id FROM outbound_messages WHERE tenant_id = $1 AND campaign_id = $2`, [c.tenant.id, campaignId])).rows as {
          id: string;
        }[]
      ).map((r) => r.id),
    );
    return (await ch.sim.listMessages({ phoneNumberId: c.number.phoneNumberId })).filter((m) => ids.has(m.bizOpaqueCallbackData ?? ''));
  };
  /** The media id a simulator message carries (an image/document message, or a template's media header). */
  const mediaIdOf = (m: OutboundRecord): string | undefined => {
    const body = m.body as Record<string, Record<string, unknown>>;
    if (m.type === 'image' || m.type === 'document') return body[m.type].id as string | undefined;
    const header = (body.template.components as { type: string; parameters: Record<string, { id?: string }>[] }[] | undefined)?.find(
      (x) => x.type === 'header',
    );
    const p = header?.parameters[0];
    return p ? (p.image ?? p.document)?.id : undefined;
  };

  beforeAll(async () => {
    ch = await startChannel();
    db = await ownerClient(ch.t.config);
    amaro = await ch.comune('amaro');
    cavazzo = await ch.comune('cavazzo');
    await ch.sim.createTemplate({
      wabaId: amaro.number.wabaId,
      name: 'avviso_con_mappa',
      language: 'it',
      category: 'UTILITY',
      header: { format: 'IMAGE' },
      body: 'Gentile {{1}}, {{2}}.',
    });
    await post(amaro, amaro.admin, '/whatsapp-templates/sync').expect(200);
    news = await list(amaro, 'avvisi');
    const t = await post(amaro, amaro.editor, '/message-templates', {
      name: 'Avviso con mappa',
      body: 'Gentile {{nome}}, {{avviso}}.',
      whatsappTemplate: { name: 'avviso_con_mappa', language: 'it', bodyParameters: ['nome', 'avviso'] },
    }).expect(201);
    imageTemplateId = t.body.id as string;
  });
  afterAll(async () => {
    await db.end();
    await ch.close();
  });

  describe('media library', () => {
    it('takes a PNG and a PDF, typed by their bytes, with sha256 and the document’s sanitised name, never a storage path', async () => {
      const image = await upload(amaro, amaro.editor, png(), 'mappa chiusure.png', 'image/png').expect(201);
      expect(image.body).toEqual({
        id: expect.any(String),
        kind: 'image',
        mimeType: 'image/png',
        filename: 'mappa chiusure.png',
        sizeBytes: 2048,
        sha256: createHash('sha256').update(png()).digest('hex'),
        url: `/api/v1/tenants/${amaro.tenant.slug}/media/${image.body.id}/content`,
        createdBy: amaro.editor.id,
        createdAt: expect.any(String),
        lastUsedAt: null,
      });
      // The client says octet-stream and names it .doc: the bytes say PDF.
      const doc = await upload(amaro, amaro.editor, pdf, '../Ordinanza n° 12 <viabilità>.doc', 'application/octet-stream').expect(201);
      expect(doc.body).toMatchObject({ kind: 'document', mimeType: 'application/pdf', filename: 'Ordinanza n_ 12 _viabilità.pdf' });
      expect(JSON.stringify([image.body, doc.body])).not.toMatch(/storage|library\//);

      const content = await get(amaro, amaro.editor, `/media/${doc.body.id}/content`).expect(200);
      expect(content.headers['content-type']).toBe('application/pdf');
      expect(content.headers['content-disposition']).toContain("filename*=UTF-8''Ordinanza%20n_%2012%20_viabilit%C3%A0.pdf");
      expect(Buffer.from(content.body as Buffer).equals(pdf)).toBe(true);

      const listed = (await get(amaro, amaro.editor, '/media?kind=document').expect(200)).body as { items: { id: string }[] };
      expect(listed.items.map((i) => i.id)).toContain(doc.body.id);
      expect(listed.items.map((i) => i.id)).not.toContain(image.body.id);
      expect((await get(amaro, amaro.editor, `/media/${image.body.id}`).expect(200)).body.kind).toBe('image');

      const audit = await db.query(`SELECT action, details FROM audit_events WHERE tenant_id = $1 AND target_id = $2`, [
        amaro.tenant.id,
        doc.body.id,
      ]);
      expect(audit.rows).toEqual([{ action: 'media.uploaded', details: expect.objectContaining({ mimeType: 'application/pdf' }) }]);
    });

    it('refuses what WhatsApp would not send, saying why: another type (400), an image over 5 MB (413), no file (400)', async () => {
      const gif = await upload(amaro, amaro.editor, Buffer.from('GIF89a\x01\x00\x01\x00'), 'foto.png', 'image/png');
      expect(gif.status).toBe(400);
      expect(gif.body).toMatchObject({ code: 'MEDIA_TYPE_NOT_ALLOWED', message: expect.stringContaining('JPEG or PNG') });

      const big = await upload(amaro, amaro.editor, png(5 * MB + 1), 'grande.png', 'image/png');
      expect(big.status).toBe(413);
      expect(big.body).toMatchObject({
        code: 'MEDIA_TOO_LARGE',
        message: 'the file is 5.0 MB; WhatsApp sends a PNG image of at most 5 MB',
        details: { maxBytes: 5 * MB },
      });

      const empty = await upload(amaro, amaro.editor, Buffer.alloc(0), 'vuoto.pdf', 'application/pdf');
      expect(empty.status).toBe(400);
      expect(empty.body.code).toBe('MEDIA_EMPTY');

      const json = await post(amaro, amaro.editor, '/media', { file: 'x' });
      expect(json.status).toBe(400);
      expect(json.body.code).toBe('MEDIA_MULTIPART_REQUIRED');

      const wrongField = await http()
        .post(`${api(amaro)}/media`)
        .set(...bearer(amaro.editor))
        .field('tenantId', cavazzo.tenant.id)
        .attach('file', pdf, { filename: 'a.pdf', contentType: 'application/pdf' });
      expect(wrongField.status).toBe(400);
      expect(wrongField.body.message).toMatch(/unexpected part "tenantId"/);

      const count = await db.query(`SELECT count(*)::int AS n FROM media_assets WHERE tenant_id = $1`, [amaro.tenant.id]);
      expect(count.rows[0].n).toBe(2);
    });
  });

  describe('campaigns with a library file', () => {
    it('uploads the image once for the number and sends every recipient that id: the template header outside the window, the image inside', async () => {
      const image = await upload(amaro, amaro.editor, png(4096, 1), 'mappa.png', 'image/png').expect(201);
      const phones = await subscribers(amaro, news, 70);
      await openWindow(amaro, phones[0]);
      await openWindow(amaro, phones[1]);
      const uploadsBefore = (await ch.sim.listMediaUploads(amaro.number.phoneNumberId)).length;

      const withImage = (avviso: string) => ({
        title: avviso,
        messageTemplateId: imageTemplateId,
        variables: { avviso },
        media: { kind: 'image', mediaId: image.body.id },
        audience: { listIds: [news] },
      });
      const { id, status, media } = await sendCampaign(amaro, withImage('il ponte sul Tagliamento è chiuso'));
      expect(status).toBe('completed');
      expect(media).toEqual({ kind: 'image', mediaId: image.body.id });

      const uploads = (await ch.sim.listMediaUploads(amaro.number.phoneNumberId)).slice(uploadsBefore);
      expect(uploads).toHaveLength(1);
      expect(uploads[0]).toMatchObject({ mimeType: 'image/png', fileSize: 4096, sha256: createHash('sha256').update(png(4096, 1)).digest('base64') });
      const sent = await sentFor(amaro, id);
      expect(sent).toHaveLength(70);
      expect(new Set(sent.map((m) => m.to)).size).toBe(70);
      expect(sent.every((m) => mediaIdOf(m) === uploads[0].id)).toBe(true);
      expect(
        sent
          .filter((m) => m.type === 'image')
          .map((m) => m.to)
          .sort(),
      ).toEqual([phones[0], phones[1]].sort());
      expect(sent.filter((m) => m.type === 'template')).toHaveLength(68);
      expect((await get(amaro, amaro.editor, `/campaigns/${id}/stats`)).body).toMatchObject({ targeted: 70, failed: 0, pending: 0 });

      // The provider id is kept per (number, file) with Meta's 30 days, and the file marked used.
      const cached = await db.query(
        `SELECT provider_media_id, expires_at - uploaded_at AS ttl FROM provider_media_uploads WHERE tenant_id = $1 AND media_asset_id = $2`,
        [amaro.tenant.id, image.body.id],
      );
      expect(cached.rows).toEqual([{ provider_media_id: uploads[0].id, ttl: expect.objectContaining({ days: 30 }) }]);
      expect((await get(amaro, amaro.editor, `/media/${image.body.id}`)).body.lastUsedAt).not.toBeNull();

      // A second campaign with the same file reuses the id: no new upload.
      expect((await sendCampaign(amaro, withImage('il ponte resta chiuso'))).status).toBe('completed');
      expect((await ch.sim.listMediaUploads(amaro.number.phoneNumberId)).slice(uploadsBefore)).toHaveLength(1);

      // Meta forgets the id (its 30 days, or a deletion) while araldo still holds it as good, so the
      // start uploads nothing: the refused messages go again after one fresh upload, none fails.
      await ch.sim.expireMedia(uploads[0].id);
      const third = await sendCampaign(amaro, withImage('il ponte è riaperto'));
      expect(third.status).toBe('completed');
      const after = (await ch.sim.listMediaUploads(amaro.number.phoneNumberId)).slice(uploadsBefore);
      expect(after).toHaveLength(2);
      const thirdSent = await sentFor(amaro, third.id);
      expect(thirdSent).toHaveLength(70);
      expect(thirdSent.every((m) => mediaIdOf(m) === after[1].id)).toBe(true);
      expect((await get(amaro, amaro.editor, `/campaigns/${third.id}/stats`)).body).toMatchObject({ targeted: 70, failed: 0 });

      // An id with fewer than three of Meta's 30 days left is replaced when the next campaign starts.
      await db.query(`UPDATE provider_media_uploads SET expires_at = now() + interval '2 days' WHERE tenant_id = $1 AND media_asset_id = $2`, [
        amaro.tenant.id,
        image.body.id,
      ]);
      expect((await sendCampaign(amaro, withImage('il ponte resta aperto'))).status).toBe('completed');
      expect((await ch.sim.listMediaUploads(amaro.number.phoneNumberId)).slice(uploadsBefore)).toHaveLength(3);
    }, 120_000);

    it('takes a refused id for an expired one once: a fresh replacement refused within the hour is not uploaded again', async () => {
      const image = await upload(amaro, amaro.editor, png(512, 9), 'guardia.png', 'image/png').expect(201);
      const service = ch.t.app.get(ProviderMediaService);
      const first = await service.resolve(amaro.tenant.id, amaro.number.id, image.body.id);
      expect(await service.reportRefused(amaro.tenant.id, amaro.number.id, image.body.id, first.providerMediaId)).toBe(true);
      // Siblings of the same batch that carried the refused id go again too, without another mark.
      expect(await service.reportRefused(amaro.tenant.id, amaro.number.id, image.body.id, first.providerMediaId)).toBe(true);
      const second = await service.resolve(amaro.tenant.id, amaro.number.id, image.body.id);
      expect(second.providerMediaId).not.toBe(first.providerMediaId);
      expect(await service.reportRefused(amaro.tenant.id, amaro.number.id, image.body.id, second.providerMediaId)).toBe(false);
      expect((await service.resolve(amaro.tenant.id, amaro.number.id, image.body.id)).providerMediaId).toBe(second.providerMediaId);
      const uploads = (await ch.sim.listMediaUploads(amaro.number.phoneNumberId)).filter((u) => u.fileSize === 512);
      expect(uploads).toHaveLength(2);
    });

    it('sends a free-text campaign with an uploaded PDF as a document by id, under the file’s name', async () => {
      const doc = await upload(amaro, amaro.editor, pdf, 'Ordinanza 12-2026.pdf', 'application/pdf').expect(201);
      const only = await list(amaro, 'ordinanze');
      const phones = await subscribers(amaro, only, 3);
      for (const p of phones) await openWindow(amaro, p);
      const c = await sendCampaign(amaro, {
        title: 'Ordinanza',
        body: 'Il {{comune}} ha emesso un’ordinanza sulla viabilità.',
        media: { kind: 'document', mediaId: doc.body.id },
        audience: { listIds: [only] },
      });
      expect(c.status).toBe('completed');
      const sent = await sentFor(amaro, c.id);
      expect(sent).toHaveLength(3);
      for (const m of sent) {
        expect(m.type).toBe('document');
        expect((m.body as { document: unknown }).document).toEqual({
          id: expect.stringMatching(/^\d+$/),
          caption: 'Il Comune di amaro ha emesso un’ordinanza sulla viabilità.',
          filename: 'Ordinanza 12-2026.pdf',
        });
      }
      // A test send to the editor's phone goes the same way, with the id already uploaded for the number.
      const uploads = await ch.sim.listMediaUploads(amaro.number.phoneNumberId);
      const test = await post(amaro, amaro.editor, `/campaigns/${c.id}/test`, { to: phones[0] }).expect(202);
      expect(test.body.as).toBe('text');
      const proof = await waitFor(async () =>
        (await ch.sim.listMessages({ phoneNumberId: amaro.number.phoneNumberId, to: phones[0] })).find(
          (m) => m.bizOpaqueCallbackData === test.body.outboundMessageId,
        ),
      );
      expect(mediaIdOf(proof)).toBe(mediaIdOf(sent[0]));
      expect((proof.body as { document: { caption: string } }).document.caption).toMatch(/^\[PROVA\] /);
      expect(await ch.sim.listMediaUploads(amaro.number.phoneNumberId)).toHaveLength(uploads.length);
    });

    it('fails the campaign once, with the reason, when WhatsApp refuses the file (131053): nothing is sent', async () => {
      const image = await upload(amaro, amaro.editor, png(1024, 3), 'rovinata.png', 'image/png').expect(201);
      await ch.sim.setFaults({ phoneNumberId: amaro.number.phoneNumberId, mediaUploadErrors: 1 });
      const c = await sendCampaign(amaro, {
        title: 'Immagine rifiutata',
        messageTemplateId: imageTemplateId,
        variables: { avviso: 'x' },
        media: { kind: 'image', mediaId: image.body.id },
        audience: { listIds: [news] },
      });
      expect(c.status).toBe('failed');
      const failed = (await get(amaro, amaro.editor, `/campaigns/${c.id}`)).body;
      expect(failed.failureReason).toBe(
        'WhatsApp refused the attached file "rovinata.png" (image/png, 1 KB): (#131053) Media upload error: ' +
          'The media could not be processed. Check that it is not corrupted and matches the declared type. Attach a corrected file to a new campaign',
      );
      expect(await sentFor(amaro, c.id)).toEqual([]);
      const audit = await db.query(`SELECT action FROM audit_events WHERE tenant_id = $1 AND target_id = $2 ORDER BY occurred_at`, [
        amaro.tenant.id,
        c.id,
      ]);
      expect(audit.rows.map((r: { action: string }) => r.action)).toContain('campaign.failed');
    });

    it('checks the attachment at creation: exactly one of link and mediaId, the right kind, a header of the template’s format', async () => {
      const image = await upload(amaro, amaro.editor, png(), 'a.png', 'image/png').expect(201);
      const doc = await upload(amaro, amaro.editor, pdf, 'a.pdf', 'application/pdf').expect(201);
      const base = { title: 'x', messageTemplateId: imageTemplateId, variables: { avviso: 'x' } };
      const both = await post(amaro, amaro.editor, '/campaigns', {
        ...base,
        media: { kind: 'image', mediaId: image.body.id, link: 'https://comune.example.it/a.png' },
      });
      expect(both.status).toBe(400);
      expect(both.body.message).toMatch(/exactly one of link .* and mediaId/);
      expect((await post(amaro, amaro.editor, '/campaigns', { ...base, media: { kind: 'image' } })).status).toBe(400);
      const kind = await post(amaro, amaro.editor, '/campaigns', { ...base, media: { kind: 'image', mediaId: doc.body.id } });
      expect(kind.status).toBe(400);
      expect(kind.body.code).toBe('MEDIA_KIND_MISMATCH');
      const header = await post(amaro, amaro.editor, '/campaigns', { ...base, media: null });
      expect(header.status).toBe(400);
      expect(header.body).toMatchObject({ code: 'TEMPLATE_HEADER_MEDIA', message: expect.stringContaining('has an IMAGE header: attach an image') });
      const unknown = await post(amaro, amaro.editor, '/campaigns', { ...base, media: { kind: 'image', mediaId: newId() } });
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('MEDIA_NOT_FOUND');
    });

    it('previews the attachment: what it is, and that it goes as the approved template’s image header', async () => {
      const image = await upload(amaro, amaro.editor, png(), 'anteprima.png', 'image/png').expect(201);
      const preview = await post(amaro, amaro.editor, `/message-templates/${imageTemplateId}/preview`, {
        variables: { avviso: 'prova' },
        media: { kind: 'image', mediaId: image.body.id },
      }).expect(200);
      const expected = { kind: 'image', link: null, mediaId: image.body.id, filename: null, mimeType: 'image/png', sizeBytes: 2048 };
      expect(preview.body.media).toEqual(expected);
      expect(preview.body.whatsappTemplate).toMatchObject({ headerMedia: expected, headerProblem: null });
      const without = await post(amaro, amaro.editor, `/message-templates/${imageTemplateId}/preview`, { variables: { avviso: 'prova' } }).expect(
        200,
      );
      expect(without.body.whatsappTemplate).toMatchObject({ headerMedia: null, headerProblem: expect.stringContaining('attach an image') });
    });

    it('keeps a file a campaign may still send (409 naming it), and deletes it afterwards', async () => {
      const image = await upload(amaro, amaro.editor, png(), 'in-uso.png', 'image/png').expect(201);
      const c = await post(amaro, amaro.editor, '/campaigns', {
        title: 'Bozza con immagine',
        messageTemplateId: imageTemplateId,
        variables: { avviso: 'x' },
        media: { kind: 'image', mediaId: image.body.id },
      }).expect(201);
      const refused = await http()
        .delete(`${api(amaro)}/media/${image.body.id}`)
        .set(...bearer(amaro.editor));
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'MEDIA_IN_USE', message: expect.stringContaining('campaign "Bozza con immagine" (draft)') });
      await post(amaro, amaro.editor, `/campaigns/${c.body.id}/cancel`).expect(200);
      await http()
        .delete(`${api(amaro)}/media/${image.body.id}`)
        .set(...bearer(amaro.editor))
        .expect(204);
      expect((await get(amaro, amaro.editor, `/media/${image.body.id}`)).status).toBe(404);
      expect((await get(amaro, amaro.editor, `/media/${image.body.id}/content`)).status).toBe(404);
    });
  });

  describe('isolation', () => {
    it('another comune’s editor gets 404 for every media route and cannot attach the file; nothing changes', async () => {
      const doc = await upload(amaro, amaro.editor, pdf, 'riservato.pdf', 'application/pdf').expect(201);
      const id = doc.body.id as string;
      for (const path of [`/media/${id}`, `/media/${id}/content`]) {
        expect((await get(cavazzo, cavazzo.editor, path)).status).toBe(404);
        expect((await get(amaro, cavazzo.editor, path)).status).toBe(404);
      }
      expect((await get(amaro, cavazzo.editor, '/media')).status).toBe(404);
      expect((await upload(amaro, cavazzo.editor, pdf, 'intruso.pdf', 'application/pdf')).status).toBe(404);
      for (const via of [cavazzo, amaro]) {
        const del = await http()
          .delete(`${api(via)}/media/${id}`)
          .set(...bearer(cavazzo.editor));
        expect(del.status).toBe(404);
      }
      const attach = await post(cavazzo, cavazzo.editor, '/campaigns', {
        title: 'Furto',
        body: 'x',
        media: { kind: 'document', mediaId: id },
      });
      expect(attach.status).toBe(404);
      expect(attach.body.code).toBe('MEDIA_NOT_FOUND');
      const cavazzoList = (await get(cavazzo, cavazzo.editor, '/media').expect(200)).body as { total: number };
      expect(cavazzoList.total).toBe(0);

      const still = await get(amaro, amaro.editor, `/media/${id}`).expect(200);
      expect(still.body.filename).toBe('riservato.pdf');
      const cavazzoRows = await db.query(`SELECT count(*)::int AS n FROM media_assets WHERE tenant_id = $1`, [cavazzo.tenant.id]);
      expect(cavazzoRows.rows[0].n).toBe(0);
    });
  });
});
