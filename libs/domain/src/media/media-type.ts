import { extname } from 'node:path';

/**
 * What a comune may put in its media library, decided from the file's own bytes (the uploader's
 * Content-Type and file name are claims, not facts), against WhatsApp's limits for sending media
 * (reference §2.6): JPEG and PNG images up to 5 MB; PDF, Office and plain-text documents up to
 * 100 MB. Meta measures in binary megabytes, as the simulator does. Pure, no I/O.
 */

const MB = 1024 * 1024;

export type LibraryMediaKind = 'image' | 'document';

export interface MediaTypeRule {
  mimeType: string;
  kind: LibraryMediaKind;
  /** The extension a citizen's phone needs to open the document. */
  extension: string;
  maxBytes: number;
  label: string;
}

export const MEDIA_TYPES: readonly MediaTypeRule[] = [
  { mimeType: 'image/jpeg', kind: 'image', extension: '.jpg', maxBytes: 5 * MB, label: 'JPEG image' },
  { mimeType: 'image/png', kind: 'image', extension: '.png', maxBytes: 5 * MB, label: 'PNG image' },
  { mimeType: 'application/pdf', kind: 'document', extension: '.pdf', maxBytes: 100 * MB, label: 'PDF' },
  { mimeType: 'application/msword', kind: 'document', extension: '.doc', maxBytes: 100 * MB, label: 'Word document' },
  { mimeType: 'application/vnd.ms-excel', kind: 'document', extension: '.xls', maxBytes: 100 * MB, label: 'Excel spreadsheet' },
  { mimeType: 'application/vnd.ms-powerpoint', kind: 'document', extension: '.ppt', maxBytes: 100 * MB, label: 'PowerPoint presentation' },
  {
    mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    kind: 'document',
    extension: '.docx',
    maxBytes: 100 * MB,
    label: 'Word document',
  },
  {
    mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    kind: 'document',
    extension: '.xlsx',
    maxBytes: 100 * MB,
    label: 'Excel spreadsheet',
  },
  {
    mimeType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    kind: 'document',
    extension: '.pptx',
    maxBytes: 100 * MB,
    label: 'PowerPoint presentation',
  },
  { mimeType: 'text/plain', kind: 'document', extension: '.txt', maxBytes: 100 * MB, label: 'text file' },
];

/** The largest file any type allows: the upload stops reading past it. */
export const MAX_LIBRARY_FILE_BYTES = Math.max(...MEDIA_TYPES.map((t) => t.maxBytes));

const rule = (mimeType: string): MediaTypeRule => MEDIA_TYPES.find((t) => t.mimeType === mimeType)!;

const JPEG = [0xff, 0xd8, 0xff];
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
const ZIP = [0x50, 0x4b, 0x03, 0x04]; // PK\3\4: docx, xlsx, pptx are zip containers
const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]; // doc, xls, ppt share this container

const startsWith = (bytes: Buffer, magic: readonly number[]): boolean => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

/** Legacy Office files all share the OLE2 container: the extension picks which one, nothing else. */
const OLE2_BY_EXTENSION: Record<string, string> = {
  '.doc': 'application/msword',
  '.xls': 'application/vnd.ms-excel',
  '.ppt': 'application/vnd.ms-powerpoint',
};

/**
 * The type of a file from its first bytes, or null for anything WhatsApp would not take as an
 * image or a document. `filename` only tells apart the legacy Office formats (one container) and
 * admits plain text, which has no signature: a `.txt` that decodes as UTF-8 without control bytes.
 */
export function sniffMediaType(bytes: Buffer, filename = ''): MediaTypeRule | null {
  if (startsWith(bytes, JPEG)) return rule('image/jpeg');
  if (startsWith(bytes, PNG)) return rule('image/png');
  if (startsWith(bytes, PDF)) return rule('application/pdf');
  const extension = extname(filename).toLowerCase();
  if (startsWith(bytes, ZIP)) {
    // Each part is a local file header carrying its name: the main part says which Office format.
    if (bytes.includes('word/document.xml')) return rule('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    if (bytes.includes('xl/workbook.xml')) return rule('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    if (bytes.includes('ppt/presentation.xml')) return rule('application/vnd.openxmlformats-officedocument.presentationml.presentation');
    return null;
  }
  if (startsWith(bytes, OLE2)) {
    const mimeType = OLE2_BY_EXTENSION[extension];
    return mimeType ? rule(mimeType) : null;
  }
  if (extension === '.txt' && isPlainText(bytes)) return rule('text/plain');
  return null;
}

function isPlainText(bytes: Buffer): boolean {
  if (bytes.length === 0) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  // Tabs, line breaks and form feeds are text; other C0 controls (and NUL above all) are not.
  // Bytes of multi-byte UTF-8 characters are all 0x80 or above, so a byte scan is enough.
  return bytes.every((b) => (b >= 0x20 ? b !== 0x7f : b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d));
}

export type MediaFileCheck =
  { ok: true; type: MediaTypeRule; filename: string } | { ok: false; problem: 'empty' | 'type' | 'size'; message: string; maxBytes?: number };

/** Whether a file may enter the library, and under which name. */
export function checkMediaFile(bytes: Buffer, originalName: string): MediaFileCheck {
  if (bytes.length === 0) return { ok: false, problem: 'empty', message: 'the file is empty' };
  const type = sniffMediaType(bytes, originalName);
  if (!type) {
    return {
      ok: false,
      problem: 'type',
      message:
        'WhatsApp takes images as JPEG or PNG and documents as PDF, Word, Excel, PowerPoint or plain text; this file is none of them (its content decides, not its name)',
    };
  }
  if (bytes.length > type.maxBytes) {
    return {
      ok: false,
      problem: 'size',
      message: `the file is ${formatBytes(bytes.length)}; WhatsApp sends a ${type.label} of at most ${formatBytes(type.maxBytes)}`,
      maxBytes: type.maxBytes,
    };
  }
  return { ok: true, type, filename: sanitizeFilename(originalName, type) };
}

const MAX_FILENAME = 240;

/**
 * A name safe to store, to show and to send as a document's filename: no directories, no control
 * or markup characters, at most 240 characters, ending in the extension of the type the bytes are
 * (a PDF uploaded as "ordinanza.doc" reaches citizens as "ordinanza.pdf").
 */
export function sanitizeFilename(originalName: string, type: Pick<MediaTypeRule, 'extension' | 'kind'>): string {
  const base = originalName.split(/[/\\]/).pop() ?? '';
  let stem = base
    .normalize('NFC')
    .replace(/\.[^.]*$/, '')
    .replace(/[^\p{L}\p{N} ._()-]+/gu, '_')
    .replace(/\s+/g, ' ')
    .replace(/_{2,}/g, '_')
    .replace(/^[\s._-]+|[\s._-]+$/g, '');
  if (stem === '') stem = type.kind === 'image' ? 'immagine' : 'documento';
  const extension = type.extension === '.jpg' && /\.jpe?g$/i.test(base) ? base.slice(base.lastIndexOf('.')).toLowerCase() : type.extension;
  return `${[...stem].slice(0, MAX_FILENAME - extension.length).join('')}${extension}`;
}

export function formatBytes(n: number): string {
  if (n >= MB) return `${(n / MB).toFixed(n % MB === 0 ? 0 : 1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}
