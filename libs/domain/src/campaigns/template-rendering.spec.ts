import { ValidationError } from '#common';
import { buildSendBody } from '#whatsapp';
import { CAMPAIGN_IT } from './messages.it.js';
import {
  approvedTemplateButtons,
  approvedTemplateHeaderFormat,
  approvedTemplateNamedParameters,
  approvedTemplateParameterCounts,
  buildTemplateContent,
  headerMediaProblem,
  mediaMessage,
  missingVariables,
  recipientFieldsOf,
  renderApprovedBody,
  renderText,
  RECIPIENT_VARIABLES,
  TENANT_VARIABLES,
  templateVariables,
  type ApprovedTemplateRef,
  type RecipientFields,
} from './template-rendering.js';

const MARIO: RecipientFields = { nome: 'Mario', cognome: 'Rossi', frazione: 'Caprignana' };
const NOBODY: RecipientFields = { nome: null, cognome: null, frazione: null };
const FALLBACK = CAMPAIGN_IT.fallback;

function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('variables', () => {
  it('lists recipient and tenant variables as documented', () => {
    expect(RECIPIENT_VARIABLES).toEqual(['nome', 'cognome', 'frazione']);
    expect(TENANT_VARIABLES).toEqual(['comune']);
  });

  it('lists the names in order of first appearance, once each, tolerating spaces inside the braces', () => {
    expect(templateVariables('Ciao {{nome}}, {{ comune }} informa: {{strada}} chiusa. {{nome}}, {{  data_1 }}')).toEqual([
      'nome',
      'comune',
      'strada',
      'data_1',
    ]);
    expect(templateVariables('Nessuna variabile, solo {graffe} singole')).toEqual([]);
  });

  it.each([
    ['{{Nome}}', '{{Nome}}'],
    ['{{}}', '{{}}'],
    ['{{ nome cognome }}', '{{ nome cognome }}'],
    ['{{via-roma}}', '{{via-roma}}'],
    ['{{città}}', '{{città}}'],
  ])('refuses %s naming it', (body, named) => {
    const err = validationError(() => templateVariables(`Avviso ${body} oggi`));
    expect(err.code).toBe('INVALID_TEMPLATE_VARIABLE');
    expect(err.message).toContain(named);
    expect(err.details).toEqual({ invalid: [named] });
  });

  it('refuses an unclosed {{', () => {
    expect(validationError(() => templateVariables('Ciao {{nome')).message).toMatch(/never closed/);
  });

  it('reports the free variables without a non-blank value, never the recipient or tenant ones', () => {
    const names = ['nome', 'strada', 'comune', 'data', 'frazione', 'cognome', 'ora'];
    expect(missingVariables(names, { strada: 'Via Roma', data: '   ', comune: '' })).toEqual(['data', 'ora']);
    expect(missingVariables(names, { strada: 'a', data: 'b', ora: 'c' })).toEqual([]);
    expect(missingVariables(['constructor', 'tostring'], {})).toEqual(['constructor', 'tostring']);
  });
});

describe('renderText', () => {
  const values = { comune: 'Comune di Santa Fiora', strada: 'via dell’Arco' };

  it('fills every variable, keeping emoji, accents and apostrophes exactly', () => {
    const body = '⚠️ {{comune}}: {{nome}}, dal lunedì {{strada}} è chiusa a {{frazione}}. Più info all’URP 👍';
    expect(renderText(body, values, { nome: 'Niccolò', cognome: 'D’Angelo', frazione: 'Bagnolo' })).toBe(
      '⚠️ Comune di Santa Fiora: Niccolò, dal lunedì via dell’Arco è chiusa a Bagnolo. Più info all’URP 👍',
    );
    expect(renderText("L'avviso per {{nome}} {{cognome}}", values, { nome: 'Zoë 🌻', cognome: "dell'Ova", frazione: null })).toBe(
      "L'avviso per Zoë 🌻 dell'Ova",
    );
  });

  it('renders missing profile fields as the neutral fallback, never blank or raw', () => {
    const text = renderText('Gentile {{nome}}, avviso per {{frazione}} dal {{comune}}', values, NOBODY);
    expect(text).toBe(`Gentile ${FALLBACK.nome}, avviso per ${FALLBACK.frazione} dal Comune di Santa Fiora`);
    expect(renderText('{{cognome}}', values, { nome: 'Mario', cognome: '  ', frazione: null })).toBe(FALLBACK.cognome);
    expect(text).not.toMatch(/\{\{|\}\}/);
  });

  it('treats "{{nome}} {{cognome}}" as a full name: a missing half is left out, both missing is one fallback', () => {
    const body = 'Gentile {{nome}} {{cognome}}, grazie';
    expect(renderText(body, values, MARIO)).toBe('Gentile Mario Rossi, grazie');
    expect(renderText(body, values, { ...NOBODY, nome: 'Mario' })).toBe('Gentile Mario, grazie');
    expect(renderText(body, values, { ...NOBODY, cognome: 'Rossi' })).toBe('Gentile Rossi, grazie');
    expect(renderText(body, values, NOBODY)).toBe(`Gentile ${FALLBACK.nome}, grazie`);
    expect(renderText('Gentile {{ nome }} {{ cognome }}', values, { ...NOBODY, nome: 'Anna' })).toBe('Gentile Anna');
  });

  it('keeps the body’s own line breaks and trims values', () => {
    expect(renderText('Riga 1: {{strada}}\nRiga 2: {{comune}}', { comune: ' Amaro ', strada: ' A\nB ' }, MARIO)).toBe('Riga 1: A\nB\nRiga 2: Amaro');
  });

  it('never expands a variable inside a value or a citizen’s name', () => {
    expect(renderText('{{strada}} / {{nome}}', { strada: '{{comune}}', comune: 'Amaro' }, { ...MARIO, nome: '{{strada}}' })).toBe(
      '{{comune}} / {{strada}}',
    );
  });

  it('refuses to render with a free variable or the comune missing, listing them', () => {
    const err = validationError(() => renderText('{{comune}} {{strada}} {{data}} {{nome}}', { strada: 'x' }, MARIO));
    expect(err.code).toBe('MISSING_TEMPLATE_VARIABLES');
    expect(err.details).toEqual({ missing: ['comune', 'data'] });
    expect(err.message).toContain('{{data}}');
  });

  it('refuses an invalid body before rendering', () => {
    expect(validationError(() => renderText('{{Nome}}', {}, MARIO)).code).toBe('INVALID_TEMPLATE_VARIABLE');
  });
});

describe('buildTemplateContent', () => {
  const ref: ApprovedTemplateRef = {
    name: 'allerta_meteo',
    language: 'it',
    bodyParameters: ['nome', 'livello', 'comune'],
    headerParameters: [],
    buttonParameters: [],
  };
  const values = { comune: 'Comune di Amaro', livello: 'ARANCIONE 🟠' };
  const send = (content: ReturnType<typeof buildTemplateContent>) =>
    buildSendBody({ from: { phoneNumberId: '1', accessToken: 'x' }, to: { kind: 'phone', e164: '+393331234567' }, content, correlationId: 'c1' });

  it('fills the positional parameters in order, and the result is a valid Cloud API request', () => {
    const content = buildTemplateContent(ref, values, { ...MARIO, nome: 'Niccolò' });
    expect(content).toEqual({
      type: 'template',
      name: 'allerta_meteo',
      languageCode: 'it',
      body: [{ text: 'Niccolò' }, { text: 'ARANCIONE 🟠' }, { text: 'Comune di Amaro' }],
    });
    expect(send(content)).toMatchObject({
      type: 'template',
      template: {
        name: 'allerta_meteo',
        language: { code: 'it' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Niccolò' },
              { type: 'text', text: 'ARANCIONE 🟠' },
              { type: 'text', text: 'Comune di Amaro' },
            ],
          },
        ],
      },
    });
  });

  it('uses the fallback for missing profile fields (WhatsApp refuses empty parameters)', () => {
    const content = buildTemplateContent({ ...ref, bodyParameters: ['nome', 'cognome', 'frazione'] }, values, { ...NOBODY, cognome: ' ' });
    expect(content.body).toEqual([{ text: FALLBACK.nome }, { text: FALLBACK.cognome }, { text: FALLBACK.frazione }]);
    expect(() => send(content)).not.toThrow();
  });

  it('normalises newlines, tabs and long runs of spaces, which WhatsApp refuses in parameters', () => {
    const content = buildTemplateContent(
      { ...ref, bodyParameters: ['testo'] },
      { ...values, testo: ' Strada chiusa\r\ndalle 8\talle 18     per l’asfalto ✨\n' },
      MARIO,
    );
    expect(content.body).toEqual([{ text: 'Strada chiusa dalle 8 alle 18 per l’asfalto ✨' }]);
    expect(() => send(content)).not.toThrow();
  });

  it('fills a text header, and sends media as the header only when the approved one is not text', () => {
    const media = { kind: 'document' as const, link: 'https://example.org/ordinanza.pdf', filename: 'ordinanza.pdf' };
    const text = buildTemplateContent({ ...ref, headerParameters: ['comune'] }, values, MARIO, media);
    expect(text.headerText).toEqual([{ text: 'Comune di Amaro' }]);
    expect(text.headerMedia).toBeUndefined();
    expect(() => send(text)).not.toThrow();

    const doc = buildTemplateContent(ref, values, MARIO, media);
    expect(doc.headerMedia).toEqual({ kind: 'document', link: 'https://example.org/ordinanza.pdf', filename: 'ordinanza.pdf' });
    expect(send(doc)).toMatchObject({
      template: {
        components: [
          { type: 'header', parameters: [{ type: 'document', document: { link: media.link, filename: 'ordinanza.pdf' } }] },
          { type: 'body' },
        ],
      },
    });

    const image = buildTemplateContent(ref, values, MARIO, { kind: 'image', link: 'https://example.org/a.jpg', filename: 'a.jpg' });
    expect(image.headerMedia).toEqual({ kind: 'image', link: 'https://example.org/a.jpg' });
    expect(() => send(image)).not.toThrow();
    expect(buildTemplateContent(ref, values, MARIO, null).headerMedia).toBeUndefined();
  });

  it('sends an uploaded file as the header by its provider id, only into a header of its kind when the format is known', () => {
    const uploaded = { kind: 'image' as const, providerMediaId: '1480273645019283' };
    const image = buildTemplateContent({ ...ref, headerFormat: 'IMAGE' }, values, MARIO, uploaded);
    expect(image.headerMedia).toEqual({ kind: 'image', mediaId: '1480273645019283' });
    expect(send(image)).toMatchObject({
      template: { components: [{ type: 'header', parameters: [{ type: 'image', image: { id: '1480273645019283' } }] }, { type: 'body' }] },
    });
    const doc = buildTemplateContent({ ...ref, headerFormat: 'DOCUMENT' }, values, MARIO, {
      kind: 'document',
      providerMediaId: '77',
      filename: 'Ordinanza 12.pdf',
    });
    expect(doc.headerMedia).toEqual({ kind: 'document', mediaId: '77', filename: 'Ordinanza 12.pdf' });
    // No media header, or one of another kind: the attachment goes only with the free text in the window.
    expect(buildTemplateContent({ ...ref, headerFormat: null }, values, MARIO, uploaded).headerMedia).toBeUndefined();
    expect(buildTemplateContent({ ...ref, headerFormat: 'DOCUMENT' }, values, MARIO, uploaded).headerMedia).toBeUndefined();
  });

  it('says when an attachment does not fit the approved header', () => {
    const image = { kind: 'image' as const };
    expect(headerMediaProblem({ ...ref, headerFormat: 'IMAGE' }, image)).toBeNull();
    expect(headerMediaProblem({ ...ref, headerFormat: 'IMAGE' }, null)).toBe(
      'the WhatsApp template allerta_meteo (it) has an IMAGE header: attach an image (media) to send it',
    );
    expect(headerMediaProblem({ ...ref, headerFormat: 'DOCUMENT' }, image)).toBe(
      'the WhatsApp template allerta_meteo (it) has a DOCUMENT header, but the attachment is an image',
    );
    expect(headerMediaProblem({ ...ref, headerFormat: 'VIDEO' }, image)).toMatch(/VIDEO header, which a campaign cannot fill/);
    for (const format of [undefined, null, 'TEXT']) expect(headerMediaProblem({ ...ref, headerFormat: format }, image)).toBeNull();
  });

  it('builds the in-window media message from a link or an uploaded file, the filename for documents only', () => {
    expect(mediaMessage({ kind: 'image', providerMediaId: '9', filename: 'x.png' }, 'Avviso')).toEqual({
      type: 'image',
      mediaId: '9',
      caption: 'Avviso',
    });
    expect(mediaMessage({ kind: 'document', link: 'https://example.org/o.pdf', filename: 'o.pdf' }, 'Avviso')).toEqual({
      type: 'document',
      link: 'https://example.org/o.pdf',
      caption: 'Avviso',
      filename: 'o.pdf',
    });
  });

  it('fills dynamic URL buttons by index, skipping blank entries', () => {
    const content = buildTemplateContent({ ...ref, buttonParameters: ['', 'codice'] }, { ...values, codice: 'ord-2026-12' }, MARIO);
    expect(content.buttons).toEqual([{ index: 1, subType: 'url', text: 'ord-2026-12' }]);
    expect(send(content)).toMatchObject({ template: { components: [{ type: 'body' }, { type: 'button', sub_type: 'url', index: '1' }] } });
  });

  it('leaves out components without parameters', () => {
    const content = buildTemplateContent({ ...ref, bodyParameters: [] }, {}, MARIO);
    expect(content).toEqual({ type: 'template', name: 'allerta_meteo', languageCode: 'it' });
    expect(send(content)).toEqual(expect.objectContaining({ template: { name: 'allerta_meteo', language: { code: 'it' } } }));
  });

  it('refuses a missing free variable or comune, listing them', () => {
    const err = validationError(() => buildTemplateContent({ ...ref, headerParameters: ['titolo'] }, { livello: '\n ' }, MARIO));
    expect(err.details).toEqual({ missing: ['livello', 'comune', 'titolo'] });
  });
});

describe('approved templates as Meta returns them', () => {
  const components = [
    { type: 'HEADER', format: 'TEXT', text: 'Avviso dal {{1}}' },
    { type: 'BODY', text: 'Gentile {{1}}, allerta {{2}} dalle {{3}}. Info: {{2}}' },
    { type: 'FOOTER', text: 'Protezione civile' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Ricevuto' },
        { type: 'URL', text: 'Dettagli', url: 'https://comune.example/allerte/{{1}}' },
        { type: 'URL', text: 'Sito', url: 'https://comune.example' },
      ],
    },
  ];

  it('counts the positional parameters of the body and a text header', () => {
    expect(approvedTemplateParameterCounts(components)).toEqual({ body: 3, header: 1 });
    expect(approvedTemplateParameterCounts([{ type: 'body', text: 'Senza parametri' }])).toEqual({ body: 0, header: 0 });
    expect(
      approvedTemplateParameterCounts([
        { type: 'HEADER', format: 'IMAGE' },
        { type: 'BODY', text: '{{ 1 }} e {{2}}' },
      ]),
    ).toEqual({
      body: 2,
      header: 0,
    });
  });

  it('tolerates what is not a component', () => {
    expect(approvedTemplateParameterCounts([])).toEqual({ body: 0, header: 0 });
    expect(approvedTemplateParameterCounts([null, 'x', 42, [], { type: 7 }, { type: 'BODY', text: 3 }])).toEqual({ body: 0, header: 0 });
    expect(renderApprovedBody([null, { type: 'HEADER' }], [])).toBeNull();
    expect(approvedTemplateButtons([{ type: 'BUTTONS', buttons: 'x' }])).toEqual([]);
  });

  it('reports named parameters, the header format and the buttons', () => {
    expect(approvedTemplateNamedParameters([{ type: 'BODY', text: 'Allerta {{livello}} dalle {{ dalle }} {{livello}}' }])).toEqual([
      'livello',
      'dalle',
    ]);
    expect(approvedTemplateNamedParameters(components)).toEqual([]);
    expect(approvedTemplateHeaderFormat(components)).toBe('TEXT');
    expect(approvedTemplateHeaderFormat([{ type: 'HEADER', format: 'document' }])).toBe('DOCUMENT');
    expect(approvedTemplateHeaderFormat([{ type: 'BODY', text: 'x' }])).toBeNull();
    expect(approvedTemplateButtons(components)).toEqual([
      { index: 0, type: 'QUICK_REPLY', dynamic: false },
      { index: 1, type: 'URL', dynamic: true },
      { index: 2, type: 'URL', dynamic: false },
    ]);
  });

  it('renders the body with the parameters for the preview, keeping emoji and accents, and shows gaps', () => {
    expect(renderApprovedBody(components, ['Niccolò', 'ARANCIONE 🟠', 'ore 14'])).toBe(
      'Gentile Niccolò, allerta ARANCIONE 🟠 dalle ore 14. Info: ARANCIONE 🟠',
    );
    expect(renderApprovedBody(components, ['Anna'])).toBe('Gentile Anna, allerta {{2}} dalle {{3}}. Info: {{2}}');
    expect(renderApprovedBody([{ type: 'HEADER', format: 'TEXT', text: 'x' }], ['a'])).toBeNull();
  });
});

describe('recipientFieldsOf', () => {
  it('maps a subscriber profile to the recipient variables', () => {
    expect(recipientFieldsOf({ firstName: 'Mario', lastName: null, frazione: 'Villetta' })).toEqual({
      nome: 'Mario',
      cognome: null,
      frazione: 'Villetta',
    });
  });
});
