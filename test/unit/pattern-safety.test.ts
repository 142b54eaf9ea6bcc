import { describe, expect, it } from 'vitest';
import { anchoredPattern, patternProblem } from '../../functions/core/catalog/pattern-safety.ts';
import { type PatternNode, readPattern } from '../../functions/core/catalog/pattern-syntax.ts';

// The pattern checker accepts a pattern only when no text has two ways through it. Checked here
// against an oracle: every parse of every short text over {a, b, c}, counted by brute force.

/** Where each way of matching `node` from `i` ends (once per way), skipping empty iterations as V8 does. */
function ends(node: PatternNode, s: string, i: number): number[] {
  switch (node.k) {
    case 'empty':
      return [i];
    case 'chars': {
      const c = s.codePointAt(i);
      return c !== undefined && node.set.some(([lo, hi]) => c >= lo && c <= hi) ? [i + 1] : [];
    }
    case 'seq':
      return node.items.reduce((at, item) => at.flatMap((j) => ends(item, s, j)), [i]);
    case 'alt':
      return node.options.flatMap((o) => ends(o, s, i));
    case 'rep': {
      const out: number[] = [];
      let at = [i];
      for (let k = 0; k <= node.max && at.length > 0; k++) {
        if (k >= node.min) out.push(...at);
        at = at.flatMap((j) => ends(node.body, s, j).filter((e) => e > j));
      }
      return out;
    }
  }
}

const TEXTS = [''];
for (let length = 1; length <= 6; length++) for (const t of TEXTS.filter((x) => x.length === length - 1)) TEXTS.push(`${t}a`, `${t}b`, `${t}c`);

/** A deterministic stream of small patterns over a, b, c, classes, groups, alternations and quantifiers. */
function* patterns(count: number): Generator<string> {
  // mulberry32: a small PRNG whose low bits are as random as its high ones.
  let seed = 20260301;
  const next = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const gen = (depth: number): string => {
    const r = next(depth > 2 ? 3 : 8);
    if (r < 3) return ['a', 'b', '[ab]', 'c', '[^a]'][next(5)] as string;
    if (r < 5) return gen(depth + 1) + gen(depth + 1);
    if (r === 5) return `(?:${gen(depth + 1)}|${gen(depth + 1)})`;
    if (r === 6) return `(?:${gen(depth + 1)})${['*', '+', '?', '{1,3}', '{2}'][next(5)]}`;
    return `${gen(depth + 1)}${['*', '+', '?'][next(3)]}`;
  };
  for (let i = 0; i < count; i++) yield gen(0);
}

describe('patternProblem', () => {
  it('accepts no pattern that matches some text in two ways (checked against a brute-force oracle)', () => {
    let accepted = 0;
    for (const pattern of patterns(1500)) {
      if (patternProblem(pattern)) continue;
      accepted++;
      const tree = readPattern(pattern);
      const twice = TEXTS.find((t) => ends(tree, t, 0).filter((e) => e === t.length).length > 1);
      expect(twice, `${pattern} matches ${JSON.stringify(twice)} in two ways`).toBeUndefined();
    }
    // The stream holds plenty of safe patterns too: the check is not vacuous.
    expect(accepted).toBeGreaterThan(500);
  });

  it.each([
    'ami-(?:[0-9a-f]{8}|[0-9a-f]{17})',
    '/aws/service(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)+',
    '[a-z]+(?:-[a-z]+)*',
    '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}',
    '(?<octet>[0-9]{1,3})(?:\\.[0-9]{1,3}){3}',
    't3\\.(?:micro|small)|m7i\\.large',
    '\\p{L}+\\d',
    '\\u{1F600}+',
  ])('accepts %s', (pattern) => {
    expect(patternProblem(pattern)).toBeUndefined();
  });

  it.each([
    ['(?:a?|b?)c', 'the empty text before c, through either alternative'],
    ['(?:x|x)y', 'x, through either alternative'],
    ['(?:ab|a)(?:c|bc)', 'abc, split after a or after ab'],
    ['(?:a+)+', 'aa, as one or two iterations'],
    ['[a-z]+[a-z0-9]*', 'ab, split anywhere'],
  ])('refuses %s (it matches %s)', (pattern) => {
    expect(patternProblem(pattern)).toMatch(/more than one way/);
  });

  it('anchors a pattern: the whole value must match', () => {
    const re = anchoredPattern('t3\\.micro|t3\\.small');
    expect(['t3.micro', 't3.small'].map((v) => re.test(v))).toEqual([true, true]);
    expect(['xt3.micro', 't3.smallx', 't3.micro\n'].map((v) => re.test(v))).toEqual([false, false, false]);
  });
});
