import { describe, expect, it } from 'vitest';
import { constraintSentences, hintSentences, sentenceText } from '../../console/src/ui/constraint-words.ts';
import { announceDelay } from '../../console/src/ui/throttle.ts';

// Pure console modules: the one wording of a parameter's constraints (the catalog's table and the
// new-Resource form's hints say them alike), and how often the events view's live region speaks.

describe("a parameter's constraints in words", () => {
  it('words bounds, lists, regions and patterns the same for the catalog and the form', () => {
    const text = (p: Parameters<typeof constraintSentences>[0]) => constraintSentences(p).map(sentenceText);
    expect(text({ type: 'integer', minimum: 1, maximum: 8 })).toEqual(['From 1 to 8.']);
    expect(text({ type: 'integer', minimum: 0 })).toEqual(['At least 0.']);
    expect(text({ type: 'integer', maximum: 9 })).toEqual(['At most 9.']);
    expect(text({ type: 'string', allowed_values: ['small', 'large'] })).toEqual(['One of: small, large.']);
    expect(text({ type: 'string', allowed_values_from: 'cloud_regions' })).toEqual(["One of the regions of the Resource's cloud."]);
    expect(text({ type: 'string', pattern: '[a-z]+' })).toEqual(['The whole value must match the pattern [a-z]+.']);
    expect(text({ type: 'boolean', allowed_values: [true] })).toEqual([]);
    expect(text({ type: 'string' })).toEqual([]);
  });

  it('keeps the pattern apart, to be shown as code', () => {
    expect(constraintSentences({ pattern: 'a+' })).toEqual([['The whole value must match the pattern ', 'a+', '.']]);
  });

  it("makes a form field's hint of its description, its type, its constraints and its default", () => {
    const hint = (p: Parameters<typeof hintSentences>[0]) => hintSentences(p).map(sentenceText).join(' ');
    expect(hint({ type: 'integer', description: 'How many workers.', minimum: 1, maximum: 8, default: 2, required: false })).toBe(
      'How many workers. A whole number. From 1 to 8. Default: 2.',
    );
    expect(hint({ type: 'string', pattern: '[a-z]+', required: false })).toBe('The whole value must match the pattern [a-z]+. Optional.');
    expect(hint({ type: 'string', required: true })).toBe('');
  });
});

describe('how often the live region speaks', () => {
  const GAP = 30_000;
  it('says the first words at once', () => {
    expect(announceDelay('1 new event.', '', undefined, 1_000, GAP)).toBe(0);
  });

  it('says nothing again when the words are what it said', () => {
    expect(announceDelay('1 new event.', '1 new event.', 1_000, 2_000, GAP)).toBeUndefined();
  });

  it('waits until the gap since the last words has passed, then says the newest', () => {
    expect(announceDelay('2 new events.', '1 new event.', 1_000, 3_000, GAP)).toBe(28_000);
    expect(announceDelay('5 new events.', '1 new event.', 1_000, 31_000, GAP)).toBe(0);
    expect(announceDelay('5 new events.', '1 new event.', 1_000, 90_000, GAP)).toBe(0);
  });
});
