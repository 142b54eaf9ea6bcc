// resource wait: follows a Resource to a phase, showing each phase it passed through and how
// long it stayed there, read from the Resource's recorded transitions (not from polling luck).
import type { Phase } from '../../functions/core/resources.ts';
import { type Command, stringFlag } from '../command.ts';
import type { Stream } from '../context.ts';
import { parseDuration } from '../duration.ts';
import { CliError, EXIT, UsageError } from '../errors.ts';
import { duration, json } from '../render.ts';
import type { ResourceView } from './resources.ts';
import { byId, result } from './shared.ts';

const NAME = 'resource wait';
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Transition {
  phase: string;
  at: string;
}

/**
 * One line per recorded phase: how long the Resource stayed in it (until the next transition,
 * or until `nowMs` for the current one).
 */
export function timelineLines(transitions: readonly Transition[], nowMs: number, opts: { final: boolean; frame?: string }): string[] {
  // Wide enough for the longest phase name, so lines printed before a longer phase appears still align.
  const width = Math.max(16, ...transitions.map((t) => t.phase.length + 2));
  return transitions.map((t, i) => {
    const next = transitions[i + 1];
    const start = Date.parse(t.at);
    if (next) return `  ${t.phase.padEnd(width)}${duration(Date.parse(next.at) - start)}`;
    if (opts.final) return `  ${t.phase.padEnd(width)}reached at ${t.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`;
    return `${opts.frame ?? '>'} ${t.phase.padEnd(width)}${duration(nowMs - start)}…`;
  });
}

/** Prints the timeline as it grows: redrawn in place on a terminal, line by line elsewhere. */
class Timeline {
  private readonly stream: Stream;
  private drawn = 0;
  private printed = 0;
  private frame = 0;

  constructor(stream: Stream) {
    this.stream = stream;
  }

  show(transitions: readonly Transition[], nowMs: number, final: boolean, note?: string): void {
    if (this.stream.isTTY) {
      const lines = timelineLines(transitions, nowMs, { final, frame: FRAMES[this.frame++ % FRAMES.length] });
      if (note && !final) lines.push(`    ${note}`);
      const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
      this.stream.write(`${up}${lines.map((l) => `\r\x1b[2K${l}\n`).join('')}`);
      // Clear what the last draw had below (a note that went away).
      if (this.drawn > lines.length) this.stream.write(`\x1b[J`);
      this.drawn = lines.length;
      return;
    }
    // Not a terminal: a phase's line is printed once its length is known (or when it ends the wait).
    const lines = timelineLines(transitions, nowMs, { final: true });
    const complete = final ? lines.length : lines.length - 1;
    for (; this.printed < complete; this.printed++) this.stream.write(`${lines[this.printed]}\n`);
  }
}

/** Whether `target` can still be reached from `from` along the broker's phase edges. */
export function reachable(from: Phase, target: Phase, edges: Readonly<Record<Phase, readonly Phase[]>>): boolean {
  const seen = new Set<Phase>([from]);
  const queue: Phase[] = [from];
  while (queue.length) {
    const phase = queue.shift() as Phase;
    if (phase === target) return true;
    for (const next of edges[phase]) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return false;
}

const wait: Command = {
  path: ['resource', 'wait'],
  summary: 'Wait until a Resource reaches a phase, with a live timeline of the phases it passes',
  description: [
    'Phases: Pending, Provisioning, Enrolling, Ready, Failed, Deregistering, Deprovisioning, Deleted.',
    `Exits ${EXIT.ok} when the phase is reached, ${EXIT.waitFailed} when the Resource goes to Failed (or can no longer`,
    `reach the phase), ${EXIT.waitTimeout} when --timeout passes first.`,
  ].join('\n'),
  positionals: [{ name: 'resource-id', description: 'the Resource' }],
  flags: {
    until: { type: 'string', placeholder: 'phase', required: true, description: 'the phase to wait for, e.g. Ready or Deleted' },
    timeout: { type: 'string', placeholder: 'duration', description: 'give up after this long (default 10m; e.g. 90s, 10m, 1h)' },
    interval: { type: 'string', placeholder: 'duration', description: 'how often to read the Resource (default 1s)' },
  },
  examples: ['plexctl resource wait "$RESOURCE_ID" --until Ready', 'plexctl resource wait "$RESOURCE_ID" --until Deleted --timeout 5m'],
  async run(ctx, args) {
    const { PHASES, PHASE_TRANSITIONS } = await import('../../functions/core/resources.ts');
    const wanted = stringFlag(args, 'until') ?? '';
    const target = PHASES.find((p) => p.toLowerCase() === wanted.toLowerCase());
    if (!target) throw new UsageError(`--until takes one of ${PHASES.join(', ')}, not "${wanted}"`, NAME);
    const timeoutMs = parseDuration(stringFlag(args, 'timeout') ?? '10m', '--timeout', NAME);
    const intervalMs = parseDuration(stringFlag(args, 'interval') ?? '1s', '--interval', NAME);
    const id = args.positionals[0] ?? '';
    const api = ctx.api();
    const stream = ctx.output === 'json' ? ctx.io.stderr : ctx.io.stdout;
    const timeline = new Timeline(stream);
    const deadline = ctx.now() + timeoutMs;
    stream.write(`Waiting for resource ${id} to reach ${target} (timeout ${duration(timeoutMs)})\n`);

    const giveUp = (r: ResourceView, message: string, exitCode: 6 | 7, code: string): never => {
      if (ctx.output === 'json') ctx.out(json(r));
      throw new CliError(message, exitCode, code);
    };

    for (;;) {
      const r = (await api.GET('/v1/resources/{id}', byId(id))).body;
      const p = r.provisioning;
      if (!p) throw new CliError(`resource ${id} is not provisioned by the broker (origin ${r.origin}), so it has no phases`, EXIT.other, 'not_provisioned');
      const phase = p.phase as Phase;
      const now = ctx.now();
      const done = phase === target || phase === 'Failed' || !reachable(phase, target, PHASE_TRANSITIONS) || now >= deadline;
      timeline.show(p.transitions, now, done, p.waiting_on ? `waiting on ${p.waiting_on}` : undefined);
      if (phase === target) {
        const first = p.transitions[0];
        const last = p.transitions.at(-1);
        const total = first && last && first !== last ? ` (${duration(Date.parse(last.at) - Date.parse(first.at))} after ${first.phase})` : '';
        return result(r, `Resource ${id} is ${target}${total}.\n`);
      }
      if (phase === 'Failed') {
        const why = p.last_error ? `${p.last_error.code}: ${p.last_error.message}` : p.reason;
        giveUp(r, `resource ${id} went to Failed instead of ${target}: ${why}`, EXIT.waitFailed, 'resource_failed');
      }
      if (!reachable(phase, target, PHASE_TRANSITIONS)) {
        giveUp(r, `resource ${id} is ${phase}, from where it can no longer reach ${target}`, EXIT.waitFailed, 'phase_unreachable');
      }
      if (now >= deadline) {
        giveUp(r, `resource ${id} did not reach ${target} within ${duration(timeoutMs)}; it is ${phase} (${p.reason})`, EXIT.waitTimeout, 'wait_timeout');
      }
      await ctx.sleep(Math.min(intervalMs, Math.max(0, deadline - ctx.now())));
    }
  },
};

export const WAIT_COMMANDS: readonly Command[] = [wait];
