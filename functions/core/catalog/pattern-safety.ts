// Whether a parameter's `pattern` is safe to run on any value: a backtracking matcher (V8's) takes
// exponential or polynomial time only on a pattern that can match some text in more than one way
// — `(a+)+`, `(a|a)*`, `(\w+\s?)*`, `\w*\w*`. A pattern is accepted when it provably cannot: then
// the matcher follows at most a bounded number of paths, and a check is linear in the value.
//
// How: the pattern becomes an NFA with one state per character it reads and ε-moves for its
// structure (each alternative, each iteration its own path, as the matcher's). Two distinct paths
// reading the same text exist iff some state reaches another state (or the end) by two ε-paths,
// or two different states are reached on one text and from both one text leads to the end.
import { type CharSet, nullable, overlaps, PatternRefusal, type PatternNode, readPattern } from './pattern-syntax.ts';

export const MAX_PATTERN_LENGTH = 256;
/** Characters the NFA may hold once `{n,m}` is unrolled; beyond it the proof is not attempted. */
const MAX_POSITIONS = 512;
/** Pairs of states the ambiguity search may visit. */
const MAX_PAIR_STEPS = 200_000;

interface State {
  eps: number[];
  /** A character state: reads one of `set`, then goes to `to`. */
  read?: { set: CharSet; to: number };
}

const ACCEPT = -1;
const TOO_COMPLEX = 'is too large to prove linear-time safe (keep {n,m} counts and alternatives few)';

class Nfa {
  readonly states: State[] = [];
  private positions = 0;

  add(): number {
    this.states.push({ eps: [] });
    return this.states.length - 1;
  }
  private eps(from: number, to: number): void {
    this.states[from]?.eps.push(to);
  }

  /** Adds `node` after state `from`; returns the state after it. */
  build(node: PatternNode, from: number): number {
    switch (node.k) {
      case 'empty':
        return from;
      case 'chars': {
        if (++this.positions > MAX_POSITIONS) throw new PatternRefusal(TOO_COMPLEX);
        const at = this.add();
        const to = this.add();
        (this.states[at] as State).read = { set: node.set, to };
        this.eps(from, at);
        return to;
      }
      case 'seq':
        return node.items.reduce((at, item) => this.build(item, at), from);
      case 'alt': {
        const end = this.add();
        for (const option of node.options) {
          const start = this.add();
          this.eps(from, start);
          this.eps(this.build(option, start), end);
        }
        return end;
      }
      case 'rep':
        return this.repeat(node, from);
    }
  }

  private repeat(node: Extract<PatternNode, { k: 'rep' }>, from: number): number {
    if (node.max > 1 && nullable(node.body)) throw new PatternRefusal('repeats a group that can match empty text');
    let at = from;
    for (let i = 0; i < node.min; i++) at = this.build(node.body, at);
    if (node.max === Infinity) {
      // One loop state: entering the body again is one path, leaving it another.
      const loop = this.add();
      this.eps(at, loop);
      this.eps(this.build(node.body, loop), loop);
      const end = this.add();
      this.eps(loop, end);
      return end;
    }
    // X{0,k} as X(X(X)?)?)?: each optional copy nested in the one before, so never two ways.
    const end = this.add();
    this.eps(at, end);
    for (let i = node.min; i < node.max; i++) {
      at = this.build(node.body, at);
      this.eps(at, end);
    }
    return end;
  }
}

/** For each state, the character states (and ACCEPT) it reaches by ε-moves, with the number of paths (1, or 2 for "more"). */
function closures(nfa: Nfa, accept: number): Array<Map<number, number>> {
  const memo: Array<Map<number, number> | undefined> = [];
  const visit = (s: number): Map<number, number> => {
    const known = memo[s];
    if (known) return known;
    const state = nfa.states[s] as State;
    const out = new Map<number, number>();
    if (state.read) out.set(s, 1);
    else if (s === accept) out.set(ACCEPT, 1);
    for (const next of state.eps) for (const [target, n] of visit(next)) out.set(target, Math.min(2, (out.get(target) ?? 0) + n));
    memo[s] = out;
    return out;
  };
  return nfa.states.map((_, s) => visit(s));
}

/** True when some text has two paths through the NFA from `start` to `accept`. */
function ambiguous(nfa: Nfa, start: number, accept: number): boolean {
  const eps = closures(nfa, accept);
  // Nodes: START (-2) and every character state; a node's successors are the ε-closure of where it lands.
  const START = -2;
  const landing = (n: number) => (n === START ? start : (nfa.states[n]?.read?.to as number));
  const succ = (n: number) => eps[landing(n)] as Map<number, number>;
  const reachable = new Set<number>([START]);
  const queue = [START];
  for (let n = queue.pop(); n !== undefined; n = queue.pop()) {
    for (const t of succ(n).keys()) {
      if (t === ACCEPT || reachable.has(t)) continue;
      reachable.add(t);
      queue.push(t);
    }
  }
  const ends = (n: number) => succ(n).has(ACCEPT);
  const coreachable = new Set([...reachable].filter(ends));
  for (let grew = true; grew; ) {
    grew = false;
    for (const n of reachable) {
      if (coreachable.has(n) || ![...succ(n).keys()].some((t) => coreachable.has(t))) continue;
      coreachable.add(n);
      grew = true;
    }
  }
  const useful = (t: number) => t === ACCEPT || coreachable.has(t);
  // Two ε-paths from one node to one useful target: one text, two paths.
  for (const n of coreachable) for (const [t, paths] of succ(n)) if (paths > 1 && useful(t)) return true;
  return divergentPair(coreachable, START, nfa.states.length + 2, succ, ends, (n) => nfa.states[n]?.read?.set as CharSet);
}

/** Whether two different nodes are reached on one text and one text leads both to the end. */
function divergentPair(
  useful: ReadonlySet<number>,
  start: number,
  width: number,
  succ: (n: number) => Map<number, number>,
  ends: (n: number) => boolean,
  setOf: (n: number) => CharSet,
): boolean {
  // Nodes are START (-2) and state indexes: shifted by 2, a pair is one number.
  const key = (a: number, b: number) => (a <= b ? (a + 2) * width + b + 2 : (b + 2) * width + a + 2);
  const pairs = new Map<number, [number, number]>([[key(start, start), [start, start]]]);
  // Each pair's predecessors, to walk back from the pairs where both paths may end.
  const before = new Map<number, number[]>();
  const queue: Array<[number, number]> = [[start, start]];
  let steps = 0;
  for (let pair = queue.pop(); pair; pair = queue.pop()) {
    const [a, b] = pair;
    for (const x of succ(a).keys()) {
      if (!useful.has(x)) continue;
      for (const y of succ(b).keys()) {
        if (++steps > MAX_PAIR_STEPS) throw new PatternRefusal(TOO_COMPLEX);
        if (!useful.has(y) || !overlaps(setOf(x), setOf(y))) continue;
        const k = key(x, y);
        const preds = before.get(k);
        if (preds) preds.push(key(a, b));
        else before.set(k, [key(a, b)]);
        if (pairs.has(k)) continue;
        pairs.set(k, [x, y]);
        queue.push([x, y]);
      }
    }
  }
  const back = [...pairs].filter(([, [a, b]]) => ends(a) && ends(b)).map(([k]) => k);
  const ending = new Set(back);
  for (let k = back.pop(); k !== undefined; k = back.pop()) {
    for (const p of before.get(k) ?? []) {
      if (ending.has(p)) continue;
      ending.add(p);
      back.push(p);
    }
  }
  return [...ending].some((k) => {
    const [a, b] = pairs.get(k) as [number, number];
    return a !== b;
  });
}

/** The pattern as values are checked against it: implicitly anchored, the whole value must match. */
export function anchoredPattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

/**
 * What is wrong with a `pattern`, completing "the pattern …", or undefined when it compiles and
 * is linear-time safe. It must compile alone too, so `a)|(b` cannot escape the anchors.
 */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    new RegExp(pattern, 'u');
    anchoredPattern(pattern);
  } catch (err) {
    return `does not compile as a regular expression (${(err as Error).message})`;
  }
  try {
    const nfa = new Nfa();
    const start = nfa.add();
    const accept = nfa.build(readPattern(pattern), start);
    if (ambiguous(nfa, start, accept)) {
      return 'can match the same text in more than one way (a repetition or alternation that overlaps itself or its neighbour, as in (a+)+, (a|a)* or \\w*\\w*), so checking a value could take exponential time';
    }
  } catch (err) {
    if (err instanceof PatternRefusal) return err.message;
    throw err;
  }
  return undefined;
}
