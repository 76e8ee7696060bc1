import { checkMediaFile, formatBytes, MAX_LIBRARY_FILE_BYTES, sanitizeFilename, sniffMediaType } from './media-type.js';

const MB = 1024 * 1024;
const png = (size = 64): Buffer => {
  const b = Buffer.alloc(size);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b);
  return b;
};
const jpeg = (size = 64): Buffer => {
  const b = Buffer.alloc(size);
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]).copy(b);
  return b;
};
const pdf = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n');
const zipWith = (entry: string): Buffer =>
  Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26), Buffer.from(entry), Buffer.alloc(32)]);
const ole2 = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]);

describe('sniffMediaType', () => {
  it.each<[string, Buffer, string, string | null]>([
    ['a PNG', png(), 'mappa.png', 'image/png'],
    ['a JPEG', jpeg(), 'foto.jpg', 'image/jpeg'],
    ['a PDF', pdf, 'ordinanza.pdf', 'application/pdf'],
    ['a docx', zipWith('word/document.xml'), 'avviso.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['an xlsx', zipWith('xl/workbook.xml'), 'orari.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ['a pptx', zipWith('ppt/presentation.xml'), 'slide.pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
    ['a legacy .doc', ole2, 'vecchio.doc', 'application/msword'],
    ['a legacy .xls', ole2, 'vecchio.xls', 'application/vnd.ms-excel'],
    ['plain UTF-8 text named .txt', Buffer.from('Avviso: è chiusa via Roma.\r\n\tGrazie.\n'), 'avviso.txt', 'text/plain'],
  ])('recognises %s from its bytes', (_what, bytes, name, expected) => {
    expect(sniffMediaType(bytes, name)?.mimeType ?? null).toBe(expected);
  });

  it('decides on the bytes, whatever the name claims', () => {
    expect(sniffMediaType(pdf, 'foto.png')?.mimeType).toBe('application/pdf');
    expect(sniffMediaType(png(), 'ordinanza.pdf')?.mimeType).toBe('image/png');
  });

  it.each<[string, Buffer, string]>([
    ['a GIF', Buffer.from('GIF89a......'), 'animazione.gif'],
    ['a WebP', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]), 'foto.webp'],
    ['an executable', Buffer.from('MZ\x90\x00\x03\x00\x00\x00'), 'ordinanza.pdf'],
    ['a zip that is no Office file', zipWith('ordinanze/1.pdf'), 'archivio.docx'],
    ['an OLE2 file without a legacy Office extension', ole2, 'file.bin'],
    ['text that is not named .txt', Buffer.from('hello'), 'avviso.pdf'],
    ['binary named .txt', Buffer.from([0x41, 0x00, 0x42]), 'avviso.txt'],
    ['invalid UTF-8 named .txt', Buffer.from([0x41, 0xc3, 0x28]), 'avviso.txt'],
  ])('refuses %s', (_what, bytes, name) => {
    expect(sniffMediaType(bytes, name)).toBeNull();
  });
});

describe('checkMediaFile', () => {
  it('admits an image up to 5 MB and a document up to 100 MB, with a sanitised name', () => {
    expect(checkMediaFile(png(5 * MB), 'Mappa chiusure.png')).toEqual({
      ok: true,
      type: expect.objectContaining({ kind: 'image', mimeType: 'image/png' }),
      filename: 'Mappa chiusure.png',
    });
    expect(checkMediaFile(pdf, '../../etc/Ordinanza n° 12/2026.pdf')).toMatchObject({ ok: true, filename: '2026.pdf' });
    expect(MAX_LIBRARY_FILE_BYTES).toBe(100 * MB);
  });

  it('refuses an image over 5 MB with the limit, an empty file, and an unknown type, each with the reason', () => {
    expect(checkMediaFile(png(5 * MB + 1), 'grande.png')).toEqual({
      ok: false,
      problem: 'size',
      message: 'the file is 5.0 MB; WhatsApp sends a PNG image of at most 5 MB',
      maxBytes: 5 * MB,
    });
    expect(checkMediaFile(Buffer.alloc(0), 'vuoto.pdf')).toMatchObject({ ok: false, problem: 'empty' });
    expect(checkMediaFile(Buffer.from('GIF89a'), 'a.gif')).toMatchObject({
      ok: false,
      problem: 'type',
      message: expect.stringContaining('JPEG or PNG'),
    });
  });
});

describe('sanitizeFilename', () => {
  const PDF = { extension: '.pdf', kind: 'document' as const };
  const JPG = { extension: '.jpg', kind: 'image' as const };

  it.each<[string, string]>([
    ['Ordinanza n. 12 (viabilità).pdf', 'Ordinanza n. 12 (viabilità).pdf'],
    ['C:\\Users\\sindaco\\Desktop\\ordinanza.pdf', 'ordinanza.pdf'],
    ['<script>alert(1)</script>.pdf', 'script.pdf'],
    ['<ordinanza> "x"|?.pdf', 'ordinanza_ _x.pdf'],
    ['ordinanza\u0000\r\n.pdf', 'ordinanza.pdf'],
    ['ordinanza.doc', 'ordinanza.pdf'],
    ['ordinanza', 'ordinanza.pdf'],
    ['', 'documento.pdf'],
    ['...', 'documento.pdf'],
    ['  spazi   multipli  .pdf', 'spazi multipli.pdf'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeFilename(input, PDF)).toBe(expected);
  });

  it('keeps .jpeg for a JPEG so named, and caps the length at 240 characters with the extension kept', () => {
    expect(sanitizeFilename('foto.JPEG', JPG)).toBe('foto.jpeg');
    expect(sanitizeFilename('', JPG)).toBe('immagine.jpg');
    const long = sanitizeFilename(`${'à'.repeat(300)}.pdf`, PDF);
    expect([...long]).toHaveLength(240);
    expect(long.endsWith('à.pdf')).toBe(true);
  });
});

describe('formatBytes', () => {
  it('speaks in binary megabytes, as Meta measures', () => {
    expect(formatBytes(5 * MB)).toBe('5 MB');
    expect(formatBytes(100 * MB)).toBe('100 MB');
    expect(formatBytes(1536)).toBe('2 KB');
    expect(formatBytes(12)).toBe('12 bytes');
  });
});
