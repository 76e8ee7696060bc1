import { decideRecipientMessage, isMediaIdRefusal, providerMediaIdOf, type RecipientDecisionInput } from './campaign-rules.js';

describe('campaign media at send time', () => {
  const base: RecipientDecisionInput = {
    windowOpen: true,
    forceTemplate: false,
    text: 'Ordinanza: via Roma chiusa',
    media: null,
    template: null,
    marketingOptedOut: false,
  };

  it('sends an uploaded library file inside the window by the provider’s id, the text as its caption', () => {
    expect(
      decideRecipientMessage({ ...base, media: { kind: 'document', providerMediaId: '1480273645019283', filename: 'Ordinanza 12.pdf' } }),
    ).toEqual({
      kind: 'send',
      category: 'service',
      content: { type: 'document', mediaId: '1480273645019283', caption: 'Ordinanza: via Roma chiusa', filename: 'Ordinanza 12.pdf' },
    });
    expect(decideRecipientMessage({ ...base, media: { kind: 'image', link: 'https://comune.example.it/mappa.png' } })).toMatchObject({
      content: { type: 'image', link: 'https://comune.example.it/mappa.png' },
    });
  });

  it('finds the provider media id a message carries, in a media message or a template header', () => {
    expect(providerMediaIdOf({ type: 'image', mediaId: '42', caption: 'x' })).toBe('42');
    expect(providerMediaIdOf({ type: 'image', link: 'https://example.org/a.png' })).toBeNull();
    expect(providerMediaIdOf({ type: 'template', name: 't', languageCode: 'it', headerMedia: { kind: 'image', mediaId: '43' } })).toBe('43');
    expect(providerMediaIdOf({ type: 'template', name: 't', languageCode: 'it' })).toBeNull();
    expect(providerMediaIdOf({ type: 'text', body: 'x' })).toBeNull();
  });

  it('reads Meta’s invalid-parameter and media errors as a refused media id, nothing else', () => {
    for (const code of [100, 131009, 131053]) expect(isMediaIdRefusal({ kind: 'api', code })).toBe(true);
    for (const code of [131000, 130429, 190, 131047, 132000]) expect(isMediaIdRefusal({ kind: 'api', code })).toBe(false);
    expect(isMediaIdRefusal({ kind: 'unknown_outcome', code: null })).toBe(false);
    expect(isMediaIdRefusal({ kind: 'http', code: 131053 })).toBe(false);
  });
});
