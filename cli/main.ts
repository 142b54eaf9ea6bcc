// plexctl's entry point (bin/plexctl runs it): the real process, streams and environment.
import { run } from './run.ts';

const code = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
// Exit once both streams have flushed (a pipe into jq may be asynchronous), without waiting for
// idle keep-alive sockets.
process.exitCode = code;
process.stderr.write('', () => process.stdout.write('', () => process.exit(code)));
