import { fillTemplateText, templatePlaceholders } from './template-text.js';

describe('templatePlaceholders', () => {
  it('reads positional and named parameters once each', () => {
    expect(templatePlaceholders('Allerta {{1}} dalle {{2}}, ancora {{1}}')).toEqual({ format: 'POSITIONAL', names: ['1', '2'] });
    expect(templatePlaceholders('Allerta {{livello}} dalle {{dalle}}')).toEqual({ format: 'NAMED', names: ['livello', 'dalle'] });
    expect(templatePlaceholders('Nessun parametro')).toEqual({ format: 'POSITIONAL', names: [] });
  });

  it.each([
    ['{{1}} e {{nome}}', /mixes positional/],
    ['{{1}} e {{3}}', /without gaps/],
    ['{{Nome}}', /lowercase/],
  ])('refuses %s', (text, message) => {
    expect(() => templatePlaceholders(text)).toThrow(message);
  });
});

describe('fillTemplateText', () => {
  it('fills by position and by name, leaving unknown placeholders', () => {
    expect(fillTemplateText('{{1}} alle {{2}} {{3}}', [{ text: 'Allerta' }, { text: '14:00' }])).toBe('Allerta alle 14:00 {{3}}');
    expect(fillTemplateText('Livello {{livello}}', [{ name: 'livello', text: 'ARANCIONE' }])).toBe('Livello ARANCIONE');
  });
});
