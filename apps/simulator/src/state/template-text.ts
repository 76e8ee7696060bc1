/**
 * Placeholders of a template text: positional ({{1}}, {{2}}) or named ({{livello}}), never both,
 * as Meta requires. Pure.
 */
export interface TemplatePlaceholders {
  format: 'POSITIONAL' | 'NAMED';
  /** Distinct placeholder names in order of first appearance ('1', '2' or 'livello', ...). */
  names: string[];
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

export function templatePlaceholders(text: string): TemplatePlaceholders {
  const names = [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))];
  const positional = names.filter((n) => /^\d+$/.test(n));
  if (positional.length > 0 && positional.length < names.length) {
    throw new Error('a template text mixes positional ({{1}}) and named ({{name}}) parameters');
  }
  if (positional.length > 0) {
    const expected = positional.map((_, i) => String(i + 1));
    if ([...positional].sort((a, b) => Number(a) - Number(b)).join() !== expected.join()) {
      throw new Error(`positional parameters must be {{1}} to {{${positional.length}}} without gaps`);
    }
  } else if (names.some((n) => !/^[a-z_][a-z0-9_]*$/.test(n))) {
    throw new Error('named parameters must be lowercase letters, digits and underscores, starting with a letter or underscore');
  }
  return { format: positional.length > 0 || names.length === 0 ? 'POSITIONAL' : 'NAMED', names };
}

/** Fills a template text with the parameters sent (positional by index, named by parameter_name). */
export function fillTemplateText(text: string, parameters: { name?: string; text?: string }[]): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const byName = parameters.find((p) => p.name === name);
    const byIndex = /^\d+$/.test(name) ? parameters[Number(name) - 1] : undefined;
    return (byName ?? byIndex)?.text ?? whole;
  });
}
