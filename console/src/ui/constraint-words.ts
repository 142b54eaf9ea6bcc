// A blueprint parameter's constraints in words, one wording for every place that shows them: the
// catalog's parameter table and the hints of the new-Resource form. Pure, so the unit tests run it.

/** The constraint fields of a parameter (the catalog's and the plan's schemas both have them). */
export interface Constrained {
  type?: string;
  description?: string;
  required?: boolean;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  allowed_values?: ReadonlyArray<string | number | boolean>;
  allowed_values_from?: string;
  pattern?: string;
}

/** A sentence, or one with code in it (a pattern): [before, code, after]. */
export type Sentence = string | readonly [string, string, string];

/** Each constraint as a sentence; empty when there are none. */
export function constraintSentences(p: Constrained): Sentence[] {
  const out: Sentence[] = [];
  if (p.minimum !== undefined && p.maximum !== undefined) out.push(`From ${p.minimum} to ${p.maximum}.`);
  else if (p.minimum !== undefined) out.push(`At least ${p.minimum}.`);
  else if (p.maximum !== undefined) out.push(`At most ${p.maximum}.`);
  if (p.allowed_values && p.type !== 'boolean') out.push(`One of: ${p.allowed_values.map(String).join(', ')}.`);
  if (p.allowed_values_from === 'cloud_regions') out.push("One of the regions of the Resource's cloud.");
  if (p.pattern !== undefined) out.push(['The whole value must match the pattern ', p.pattern, '.']);
  return out;
}

/**
 * A form field's hint: its description, its type when that is not plain text, its constraints,
 * then its default (or that it may be left out).
 */
export function hintSentences(p: Constrained): Sentence[] {
  const out: Sentence[] = [];
  if (p.description) out.push(p.description);
  if (p.type === 'integer') out.push('A whole number.');
  out.push(...constraintSentences(p));
  if (p.default !== undefined) out.push(`Default: ${String(p.default)}.`);
  else if (!p.required) out.push('Optional.');
  return out;
}

/** A sentence as plain text. */
export function sentenceText(s: Sentence): string {
  return typeof s === 'string' ? s : s.join('');
}
