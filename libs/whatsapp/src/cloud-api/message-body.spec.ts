import { InvalidMessageError } from '../errors/whatsapp.errors.js';
import { type InteractiveContent, type MessageContent, type SendRequest } from '../provider/whatsapp-provider.types.js';
import { buildSendBody } from './message-body.js';

const request = (content: MessageContent, extra: Partial<SendRequest> = {}): SendRequest => ({
  from: { phoneNumberId: '109988776655443', accessToken: 'token' },
  to: { kind: 'phone', e164: '+393331234567' },
  content,
  correlationId: 'om_1',
  ...extra,
});
const text = (body: string): MessageContent => ({ type: 'text', body });
const buttons = (...titles: string[]): InteractiveContent => ({
  type: 'interactive',
  body: 'Confermi?',
  action: { kind: 'buttons', buttons: titles.map((title, i) => ({ id: `B${i}`, title })) },
});
const list = (rowsPerSection: number[], rowTitle = 'Riga'): InteractiveContent => ({
  type: 'interactive',
  body: 'Scegli',
  action: {
    kind: 'list',
    button: 'Canali',
    sections: rowsPerSection.map((n, s) => ({
      title: `Sezione ${s}`,
      rows: Array.from({ length: n }, (_, r) => ({ id: `R${s}.${r}`, title: rowTitle })),
    })),
  },
});

const rejects = (req: SendRequest, message: RegExp) => {
  expect(() => buildSendBody(req)).toThrow(InvalidMessageError);
  expect(() => buildSendBody(req)).toThrow(message);
};

describe('buildSendBody', () => {
  it('builds the common envelope', () => {
    expect(buildSendBody(request(text('Ciao')))).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+393331234567',
      biz_opaque_callback_data: 'om_1',
      type: 'text',
      text: { body: 'Ciao' },
    });
  });

  it('uses the validation error kind and a feature code', () => {
    try {
      buildSendBody(request(text('')));
      throw new Error('expected a throw');
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidMessageError);
      expect(err).toMatchObject({ kind: 'validation', code: 'WHATSAPP_INVALID_MESSAGE' });
    }
  });

  it.each([
    ['a number without +', '393331234567'],
    ['a national number', '3331234567'],
    ['spaces', '+39 333 1234567'],
    ['an empty string', ''],
  ])('refuses a phone recipient with %s', (_name, e164) => {
    rejects(request(text('x'), { to: { kind: 'phone', e164 } }), /E\.164/);
  });

  it('refuses an empty or over-long BSUID', () => {
    rejects(request(text('x'), { to: { kind: 'bsuid', userId: '' } }), /BSUID is empty/);
    rejects(request(text('x'), { to: { kind: 'bsuid', userId: 'I'.repeat(257) } }), /at most 256/);
  });

  it('bounds the correlation id to 512 characters and refuses an empty one', () => {
    expect(buildSendBody(request(text('x'), { correlationId: 'c'.repeat(512) })).biz_opaque_callback_data).toHaveLength(512);
    rejects(request(text('x'), { correlationId: 'c'.repeat(513) }), /correlationId is 513 characters; WhatsApp allows at most 512/);
    rejects(request(text('x'), { correlationId: '' }), /correlationId is empty/);
  });

  it('bounds a text body to 4096 characters, counting an emoji once', () => {
    expect(() => buildSendBody(request(text('a'.repeat(4096))))).not.toThrow();
    expect(() => buildSendBody(request(text('😀'.repeat(4096))))).not.toThrow();
    rejects(request(text('a'.repeat(4097))), /text body is 4097 characters/);
    rejects(request(text('   ')), /text body is empty/);
  });

  it('requires exactly one of media id and link', () => {
    rejects(request({ type: 'image' }), /exactly one of media id and link/);
    rejects(request({ type: 'image', mediaId: '1', link: 'https://x.example/a.jpg' }), /exactly one of media id and link/);
    rejects(request({ type: 'image', link: 'ftp://x.example/a.jpg' }), /absolute http\(s\) URL/);
  });

  it('keeps captions and filenames where WhatsApp accepts them', () => {
    rejects(request({ type: 'audio', mediaId: '1', caption: 'x' }), /audio messages cannot have a caption/);
    rejects(request({ type: 'sticker', mediaId: '1', caption: 'x' }), /sticker messages cannot have a caption/);
    rejects(request({ type: 'image', mediaId: '1', filename: 'a.jpg' }), /only documents have a filename/);
    rejects(request({ type: 'image', mediaId: '1', caption: 'c'.repeat(1025) }), /media caption is 1025 characters/);
  });

  it('allows 1 to 3 reply buttons with unique titles of at most 20 characters', () => {
    expect(() => buildSendBody(request(buttons('Sì', 'No', 'Forse')))).not.toThrow();
    rejects(request(buttons('A', 'B', 'C', 'D')), /1 to 3 buttons/);
    rejects(request(buttons()), /1 to 3 buttons/);
    rejects(request(buttons('x'.repeat(21))), /reply button title "x{21}" is 21 characters; WhatsApp allows at most 20/);
    rejects(request(buttons('Sì', 'Sì')), /titles must be unique/);
    const longBody: InteractiveContent = { ...buttons('Sì'), body: 'b'.repeat(1025) };
    rejects(request(longBody), /interactive body is 1025 characters/);
  });

  it('allows at most 10 list rows in total, titled in at most 24 characters', () => {
    expect(() => buildSendBody(request(list([5, 5])))).not.toThrow();
    rejects(request(list([6, 5])), /1 to 10 rows in total/);
    rejects(request(list([1], 'r'.repeat(25))), /list row title "r{25}" is 25 characters; WhatsApp allows at most 24/);
    rejects(request(list([])), /1 to 10 sections/);
    const untitled = list([1, 1]);
    if (untitled.action.kind === 'list') delete untitled.action.sections[1].title;
    rejects(request(untitled), /every section needs a title/);
  });

  it('checks template parameters the way Meta does', () => {
    const template = (body: { name?: string; text: string }[]): MessageContent => ({ type: 'template', name: 't', languageCode: 'it', body });
    rejects(request(template([{ name: 'a', text: 'x' }, { text: 'y' }])), /all named or all positional/);
    rejects(request(template([{ text: 'riga\nnuova' }])), /newline/);
    rejects(request(template([{ text: 'a     b' }])), /four consecutive spaces/);
    rejects(request(template([{ text: '' }])), /parameter 1 is empty/);
    rejects(request(template([{ name: 'Livello', text: 'x' }])), /a-z, 0-9 and _/);
    rejects(
      request({ type: 'template', name: 't', languageCode: 'it', buttons: [{ index: 10, subType: 'quick_reply', payload: 'p' }] }),
      /index must be an integer from 0 to 9/,
    );
    rejects(
      request({ type: 'template', name: 't', languageCode: 'it', headerMedia: { kind: 'image', mediaId: '1' }, headerText: [{ text: 'x' }] }),
      /either media or text/,
    );
  });

  it('omits components for a template without variables', () => {
    expect(buildSendBody(request({ type: 'template', name: 'benvenuto', languageCode: 'it' })).template).toEqual({
      name: 'benvenuto',
      language: { code: 'it' },
    });
  });

  it('builds a contact card as Meta’s contacts array', () => {
    const body = buildSendBody(
      request({
        type: 'contacts',
        contacts: [
          {
            formattedName: 'Comune di Amaro',
            organization: 'Comune di Amaro',
            phones: [{ phone: '+393200000001', waId: '393200000001' }],
            urls: ['https://www.comune.amaro.ud.it'],
          },
        ],
      }),
    );
    expect(body.type).toBe('contacts');
    expect(body.contacts).toEqual([
      {
        name: { formatted_name: 'Comune di Amaro', first_name: 'Comune di Amaro' },
        org: { company: 'Comune di Amaro' },
        phones: [{ phone: '+393200000001', type: 'WORK', wa_id: '393200000001' }],
        urls: [{ url: 'https://www.comune.amaro.ud.it', type: 'WORK' }],
      },
    ]);
    rejects(request({ type: 'contacts', contacts: [] }), /at least one contact/);
    rejects(request({ type: 'contacts', contacts: [{ formattedName: 'X', phones: [] }] }), /at least one phone/);
  });
});
