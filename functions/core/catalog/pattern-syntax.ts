// The syntax of a parameter's `pattern`: a JavaScript regular expression (`u` mode) read into a
// small tree of character sets, sequences, alternations and repetitions, which pattern-safety.ts
// checks. Only patterns that already compiled come here, so the reader trusts the grammar and
// refuses, by name, what it will not analyse (backreferences, lookaround, modifiers).

/** Sorted, non-overlapping, non-adjacent code point ranges [lo, hi]. */
export type CharSet = ReadonlyArray<readonly [number, number]>;

export type PatternNode =
  | { k: 'chars'; set: CharSet }
  | { k: 'seq'; items: PatternNode[] }
  | { k: 'alt'; options: PatternNode[] }
  /** `max` is Infinity for `*`, `+` and `{n,}`. */
  | { k: 'rep'; body: PatternNode; min: number; max: number }
  /** Matches no text: `^`, `$`, `\b`, `\B`, an empty alternative. */
  | { k: 'empty' };

/** A construct a safe pattern may not use; its message completes "the pattern …". */
export class PatternRefusal extends Error {}

const MAX_CODE_POINT = 0x10ffff;
const EMPTY: PatternNode = { k: 'empty' };

export function charSet(ranges: Iterable<readonly [number, number]>): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [lo, hi] of sorted) {
    const last = out.at(-1);
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(set: CharSet): CharSet {
  const out: Array<[number, number]> = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

export function overlaps(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i] as readonly [number, number];
    const [blo, bhi] = b[j] as readonly [number, number];
    if (alo <= bhi && blo <= ahi) return true;
    if (ahi < bhi) i++;
    else j++;
  }
  return false;
}

const cp = (c: string) => c.codePointAt(0) as number;
const DIGIT = charSet([[cp('0'), cp('9')]]);
const WORD = charSet([
  [cp('0'), cp('9')],
  [cp('A'), cp('Z')],
  [cp('_'), cp('_')],
  [cp('a'), cp('z')],
]);
// ECMAScript WhiteSpace and LineTerminator.
const SPACE = charSet(
  [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff]
    .map((c): [number, number] => [c, c])
    .concat([[0x2000, 0x200a]]),
);
const LINE_TERMINATORS = charSet([0x0a, 0x0d, 0x2028, 0x2029].map((c): [number, number] => [c, c]));
/** A Unicode property escape: taken as any character, which can only make the analysis stricter. */
const ANY = charSet([[0, MAX_CODE_POINT]]);
const CLASS_ESCAPES: Record<string, CharSet> = {
  d: DIGIT,
  D: complement(DIGIT),
  w: WORD,
  W: complement(WORD),
  s: SPACE,
  S: complement(SPACE),
};
const CONTROL_ESCAPES: Record<string, number> = { f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b };

const single = (c: number): CharSet => [[c, c]];
const isHex = (c: string | undefined) => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

class Reader {
  private i = 0;
  private readonly cs: string[];
  constructor(source: string) {
    this.cs = Array.from(source);
  }
  private peek(offset = 0): string | undefined {
    return this.cs[this.i + offset];
  }
  private take(): string {
    const c = this.cs[this.i++];
    if (c === undefined) throw new PatternRefusal('ends early');
    return c;
  }
  private eat(text: string): boolean {
    if (this.cs.slice(this.i, this.i + text.length).join('') !== text) return false;
    this.i += text.length;
    return true;
  }
  private digits(): number | undefined {
    let text = '';
    while (/^[0-9]$/.test(this.peek() ?? '')) text += this.take();
    return text === '' ? undefined : Number(text);
  }

  read(): PatternNode {
    const node = this.disjunction();
    if (this.i < this.cs.length) throw new PatternRefusal(`has an unmatched "${this.peek()}"`);
    return node;
  }

  private disjunction(): PatternNode {
    const options = [this.alternative()];
    while (this.eat('|')) options.push(this.alternative());
    return options.length === 1 ? (options[0] as PatternNode) : { k: 'alt', options };
  }

  private alternative(): PatternNode {
    const items: PatternNode[] = [];
    while (this.i < this.cs.length && this.peek() !== '|' && this.peek() !== ')') items.push(this.quantified(this.atom()));
    return items.length === 1 ? (items[0] as PatternNode) : items.length === 0 ? EMPTY : { k: 'seq', items };
  }

  private quantified(body: PatternNode): PatternNode {
    let min: number;
    let max: number;
    if (this.eat('*')) [min, max] = [0, Infinity];
    else if (this.eat('+')) [min, max] = [1, Infinity];
    else if (this.eat('?')) [min, max] = [0, 1];
    else if (this.eat('{')) {
      min = this.digits() ?? 0;
      max = this.eat(',') ? (this.digits() ?? Infinity) : min;
      this.eat('}');
    } else return body;
    this.eat('?'); // lazy or greedy: the same matches, the same ambiguity
    return { k: 'rep', body, min, max };
  }

  private atom(): PatternNode {
    const c = this.take();
    if (c === '^' || c === '$') return EMPTY;
    if (c === '.') return { k: 'chars', set: complement(LINE_TERMINATORS) };
    if (c === '[') return { k: 'chars', set: this.characterClass() };
    if (c === '(') return this.group();
    if (c === '\\') return this.atomEscape();
    return { k: 'chars', set: single(cp(c)) };
  }

  private group(): PatternNode {
    if (this.eat('?')) {
      if (this.eat('=') || this.eat('!') || this.eat('<=') || this.eat('<!')) throw new PatternRefusal('uses a lookahead or lookbehind');
      if (this.eat('<')) while (this.take() !== '>');
      else if (!this.eat(':')) throw new PatternRefusal('uses a group modifier, such as (?i:…)');
    }
    const body = this.disjunction();
    if (!this.eat(')')) throw new PatternRefusal('has an unclosed group');
    return body;
  }

  private atomEscape(): PatternNode {
    const c = this.peek() ?? '';
    if (/^[1-9]$/.test(c) || c === 'k') throw new PatternRefusal('uses a backreference');
    if (c === 'b' || c === 'B') {
      this.take();
      return EMPTY;
    }
    return { k: 'chars', set: this.escape(false) };
  }

  /** After a backslash: one character, or a class escape's set. */
  private escape(inClass: boolean): CharSet {
    const c = this.take();
    const set = CLASS_ESCAPES[c];
    if (set) return set;
    if (c === 'p' || c === 'P') {
      while (this.take() !== '}');
      return ANY;
    }
    if (inClass && c === 'b') return single(0x08);
    const control = CONTROL_ESCAPES[c];
    if (control !== undefined) return single(control);
    if (c === 'c') return single(cp(this.take()) % 32);
    if (c === '0') return single(0);
    if (c === 'x') return single(Number.parseInt(this.take() + this.take(), 16));
    if (c === 'u') return single(this.unicodeEscape());
    return single(cp(c));
  }

  private unicodeEscape(): number {
    if (this.eat('{')) {
      let hex = '';
      while (this.peek() !== '}') hex += this.take();
      this.take();
      return Number.parseInt(hex, 16);
    }
    const unit = Number.parseInt(this.take() + this.take() + this.take() + this.take(), 16);
    // In u mode a surrogate pair written as two escapes is one code point.
    if (
      unit >= 0xd800 &&
      unit <= 0xdbff &&
      this.peek() === '\\' &&
      this.peek(1) === 'u' &&
      [2, 3, 4, 5].every((k) => isHex(this.peek(k)))
    ) {
      const low = Number.parseInt(this.cs.slice(this.i + 2, this.i + 6).join(''), 16);
      if (low >= 0xdc00 && low <= 0xdfff) {
        this.i += 6;
        return (unit - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
      }
    }
    return unit;
  }

  private classAtom(): CharSet {
    const c = this.take();
    return c === '\\' ? this.escape(true) : single(cp(c));
  }

  private characterClass(): CharSet {
    const negated = this.eat('^');
    const ranges: Array<readonly [number, number]> = [];
    while (!this.eat(']')) {
      const from = this.classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.take();
        const to = this.classAtom();
        ranges.push([from[0]?.[0] ?? 0, to[0]?.[1] ?? 0]);
      } else ranges.push(...from);
    }
    const set = charSet(ranges);
    return negated ? complement(set) : set;
  }
}

/** The tree of a pattern that compiled in `u` mode; PatternRefusal for what the analysis will not take. */
export function readPattern(source: string): PatternNode {
  return new Reader(source).read();
}

export function nullable(node: PatternNode): boolean {
  switch (node.k) {
    case 'chars':
      return false;
    case 'empty':
      return true;
    case 'seq':
      return node.items.every(nullable);
    case 'alt':
      return node.options.some(nullable);
    case 'rep':
      return node.min === 0 || nullable(node.body);
  }
}
