// One plexctl invocation: parse, run, print, and turn any failure into one line and an exit code.
import { COMMANDS } from './commands/index.ts';
import { Context, type Io } from './context.ts';
import { EXIT, exitCodeOf, renderError } from './errors.ts';
import { commandHelp, groupHelp, rootHelp } from './help.ts';
import { parseCommandLine } from './parse.ts';
import { json } from './render.ts';

export async function run(argv: readonly string[], io: Io): Promise<number> {
  try {
    const parsed = parseCommandLine(argv, COMMANDS, io.env);
    if (parsed.kind === 'help') {
      const text = parsed.command ? commandHelp(parsed.command) : parsed.path.length ? groupHelp(parsed.path, COMMANDS) : rootHelp(COMMANDS);
      if (parsed.toStderr) {
        io.stderr.write(`${text}\nerror: usage: ${parsed.problem}\n`);
        return EXIT.usage;
      }
      io.stdout.write(text);
      return EXIT.ok;
    }
    const ctx = new Context(io, parsed.profile, parsed.output, parsed.insecure);
    const outcome = await parsed.command.run(ctx, parsed.args);
    if (outcome) io.stdout.write(parsed.output === 'json' ? json(outcome.data) : outcome.human);
    return EXIT.ok;
  } catch (err) {
    io.stderr.write(`${renderError(err)}\n`);
    return exitCodeOf(err);
  }
}
