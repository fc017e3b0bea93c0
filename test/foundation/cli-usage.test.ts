// Every command and subcommand answers --help and -h with its usage and exit code 0, without touching a
// database; numbers on the command line and in the environment are checked with a plain message naming the
// command and the option (issue 15, finding 6: `import --help` failed with `unknown kind "--help"`, and
// `generate --customers -5` said "argument is ambiguous").
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { commands } from '../../cli/commands/index.ts';
import { runSalesdash } from '../helpers/cli.ts';

// A database nobody listens on and an empty data folder: a command that went past its help or its argument
// checks would fail on them (and never start or touch a real server).
const dataDir = mkdtempSync(path.join(tmpdir(), 'salesdash-usage-'));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
const baseEnv = { ...process.env, DATABASE_URL: 'postgres://nobody:x@127.0.0.1:9/none', SALESDASH_DATA_DIR: dataDir };

function salesdash(args: string[], env: Record<string, string> = {}) {
  return runSalesdash({ ...baseEnv, ...env }, ...args);
}

t.test('every command and subcommand answers --help and -h with its usage', async (t) => {
  const asked: string[][] = [];
  for (const name of Object.keys(commands)) asked.push([name, '--help'], [name, '-h']);
  asked.push(
    ['import', 'transactions', '--help'],
    ['import', 'olist', 'some-dir', '-h'],
    ['db', 'start', '--help'],
    ['db', 'stop', '-h'],
    ['db', 'status', '--help'],
    ['db', 'url', '--reader', '--help'],
    ['generate', '--customers', '5', '--help'],
    ['reset', '--help'],
  );
  t.same(Object.keys(commands).sort(), ['db', 'demo', 'generate', 'history', 'import', 'migrate', 'refresh', 'reset', 'serve', 'train'], 'every command is asked');
  for (const args of asked) {
    const result = await salesdash(args);
    t.equal(result.code, 0, `${args.join(' ')}: exit 0 (${result.stderr.trim()})`);
    t.equal(result.stderr, '', `${args.join(' ')}: nothing on stderr`);
    t.match(result.stdout, new RegExp(`^usage: salesdash ${args[0]}\\b`), `${args.join(' ')}: its usage`);
  }
  const help = await salesdash(['help', 'import']);
  t.same(help, await salesdash(['import', '--help']), 'salesdash help import is import --help');
  t.match(help.stdout, /--replace/);
  const db = await salesdash(['db', '--help']);
  t.match(db.stdout, /url --reader +the read-only login salesdash_reader/);
  t.match(db.stdout, /url +the owner's connection string/);
  const top = await salesdash(['--help']);
  t.equal(top.code, 0);
  t.match(top.stdout, /^usage: salesdash <command>/);
  t.match(top.stdout, /\n {2}reset +empty the shop/);
  // No command at all is a mistake: the usage goes to stderr and the exit code says so.
  const none = await salesdash([]);
  t.equal(none.code, 1, 'no command: exit 1');
  t.equal(none.stdout, '', 'no command: nothing on stdout');
  t.equal(none.stderr, top.stdout, 'no command: the usage on stderr');
});

t.test('numbers are checked with a plain message naming the command and the option', async (t) => {
  const cases: { args: string[]; env?: Record<string, string>; stderr: string }[] = [
    { args: ['generate', '--customers', '-5'], stderr: 'generate: --customers must be a positive whole number (got "-5")' },
    { args: ['generate', '--customers=-5'], stderr: 'generate: --customers must be a positive whole number (got "-5")' },
    { args: ['generate', '--customers', '0'], stderr: 'generate: --customers must be a positive whole number (got "0")' },
    { args: ['generate', '--customers', '2.5'], stderr: 'generate: --customers must be a positive whole number (got "2.5")' },
    { args: ['generate', '--customers', 'many'], stderr: 'generate: --customers must be a positive whole number (got "many")' },
    { args: ['generate', '--customers', '99999999'], stderr: 'generate: --customers must be at most 20000000 (got "99999999")' },
    { args: ['generate'], stderr: 'generate: --customers is required' },
    { args: ['generate', '--customers'], stderr: 'generate: --customers needs a value' },
    { args: ['generate', '--customers', '5', '--seed', '-1'], stderr: 'generate: --seed must be a whole number from 0 to 4294967295 (got "-1")' },
    { args: ['generate', '--customers', '5', '--sede', '1'], stderr: 'generate: unknown option "--sede" (see --help)' },
    { args: ['generate', '--customers', '5', '--replace=no'], stderr: 'generate: --replace takes no value' },
    { args: ['train', '--horizon-days', '-3'], stderr: 'train: --horizon-days must be a positive whole number (got "-3")' },
    { args: ['train', '--horizon-days', '400'], stderr: 'train: --horizon-days must be at most 366 (got "400")' },
    { args: ['serve', '--port', '-1'], stderr: 'serve: --port must be a port number from 0 to 65535 (got "-1")' },
    { args: ['demo'], env: { SALESDASH_DEMO_CUSTOMERS: '-5' }, stderr: 'demo: SALESDASH_DEMO_CUSTOMERS must be a positive whole number (got "-5")' },
    // Before minutes of setting up, not when serving starts.
    { args: ['demo', '--port', '70000'], stderr: 'demo: --port must be a port number from 0 to 65535 (got "70000")' },
    { args: ['demo', 'now'], stderr: 'demo: unexpected argument "now" (see --help)' },
    { args: ['history'], stderr: 'history: say --monthly (month-end snapshots)' },
    { args: ['history', '--monthly', '--from', '2024-13'], stderr: 'history: --from must be a month YYYY-MM (got "2024-13")' },
    { args: ['history', '--monthly', '--from', 'last year'], stderr: 'history: --from must be a month YYYY-MM (got "last year")' },
    { args: ['history', '--monthly', 'now'], stderr: 'history: unexpected argument "now" (see --help)' },
    { args: ['import', 'transactions'], stderr: 'import: usage: salesdash import olist <dir> | salesdash import transactions <file.csv>' },
    { args: ['db', 'status', 'now'], stderr: 'db: unexpected argument "now" (see --help)' },
    { args: ['refresh', 'now'], stderr: 'refresh: unexpected argument "now" (see --help)' },
    { args: ['train', 'now'], stderr: 'train: unexpected argument "now" (see --help)' },
    { args: ['serve', 'now'], stderr: 'serve: unexpected argument "now" (see --help)' },
    { args: ['migrate', 'now'], stderr: 'migrate: unexpected argument "now" (see --help)' },
    { args: ['migrate', '--force'], stderr: 'migrate: unknown option "--force" (see --help)' },
    { args: ['db', 'status'], env: { SALESDASH_PG_PORT: 'abc' }, stderr: 'db: SALESDASH_PG_PORT must be a port number from 1 to 65535 (got "abc")' },
  ];
  for (const { args, env, stderr } of cases) {
    const result = await salesdash(args, env);
    t.same(result, { code: 1, stdout: '', stderr: `salesdash: ${stderr}\n` }, args.join(' '));
  }
});

t.test('a date option must be a real calendar day the importer would accept', async (t) => {
  // The importer's range: EARLIEST_DATE to one day (DAYS_AHEAD.event) after now, as UTC dates.
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const latest = day(1);
  const range = `--as-of must be from 1970-01-01 to ${latest}, the dates an import accepts`;
  const cases: [string[], string][] = [
    // JavaScript's Date and postgres.js read these as the first days of the next month.
    [['--as-of', '2024-02-30'], '--as-of must be a calendar date (got "2024-02-30", no such day)'],
    [['--as-of', '2024-02-31'], '--as-of must be a calendar date (got "2024-02-31", no such day)'],
    [['--as-of', '2024-04-31'], '--as-of must be a calendar date (got "2024-04-31", no such day)'],
    [['--as-of', '2023-02-29'], '--as-of must be a calendar date (got "2023-02-29", no such day)'],
    [['--as-of', '2024-13-01'], '--as-of must be a calendar date (got "2024-13-01", no such day)'],
    [['--as-of', '2024-00-10'], '--as-of must be a calendar date (got "2024-00-10", no such day)'],
    [['--as-of', '2024-01-00'], '--as-of must be a calendar date (got "2024-01-00", no such day)'],
    [['--as-of', '0001-01-01'], `${range} (got "0001-01-01")`],
    [['--as-of', '1969-12-31'], `${range} (got "1969-12-31")`],
    [['--as-of', '9999-12-31'], `${range} (got "9999-12-31")`],
    [['--as-of', day(2)], `${range} (got "${day(2)}")`],
    [['--as-of', '2024-1-5'], '--as-of must be a date YYYY-MM-DD (got "2024-1-5")'],
    [['--as-of', '5.1.2024'], '--as-of must be a date YYYY-MM-DD (got "5.1.2024")'],
    [['--as-of='], '--as-of must be a date YYYY-MM-DD (got "")'],
    [['--as-of'], '--as-of needs a value'],
  ];
  for (const [args, stderr] of cases) {
    const result = await salesdash(['refresh', ...args]);
    t.same(result, { code: 1, stdout: '', stderr: `salesdash: refresh: ${stderr}\n` }, args.join(' '));
  }
  // history --from is a month: its first day follows the same rule.
  const history = await salesdash(['history', '--monthly', '--from', '9999-12']);
  t.same(history, { code: 1, stdout: '', stderr: `salesdash: history: --from must be from 1970-01 to ${latest.slice(0, 7)}, the months an import accepts (got "9999-12")\n` },
    'history --from 9999-12');
  t.match((await salesdash(['history', '--monthly', '--from', '1969-12'])).stderr, /--from must be from 1970-01 to .*\(got "1969-12"\)/, 'history --from 1969-12');
  // Accepted dates get past the check: they fail only on the database nobody listens on.
  for (const asOf of ['1970-01-01', '2024-02-29', '2000-02-29', latest]) {
    const result = await salesdash(['refresh', '--as-of', asOf]);
    t.equal(result.code, 1, asOf);
    t.match(result.stderr, /^salesdash: refresh failed: could not connect to the database \([^\n]*\)\n$/, `${asOf}: accepted, then the connection fails`);
  }
});

t.test('an option that takes one value is refused when given twice', async (t) => {
  const cases: [string[], string][] = [
    [['refresh', '--as-of', '2024-01-10', '--as-of', '2024-01-06'], 'refresh: --as-of must be given only once'],
    [['refresh', '--as-of=2024-01-10', '--as-of=2024-01-10'], 'refresh: --as-of must be given only once'],
    [['history', '--monthly', '--from', '2024-01', '--from', '2024-02'], 'history: --from must be given only once'],
    [['generate', '--customers', '5', '--customers', '6'], 'generate: --customers must be given only once'],
    [['serve', '--port', '1', '--port=2'], 'serve: --port must be given only once'],
  ];
  for (const [args, stderr] of cases) {
    const result = await salesdash(args);
    t.same(result, { code: 1, stdout: '', stderr: `salesdash: ${stderr}\n` }, args.join(' '));
  }
  // A repeated switch says the same thing twice: nothing to choose between.
  const twice = await salesdash(['refresh', '--concurrently', '--concurrently']);
  t.match(twice.stderr, /^salesdash: refresh failed[^\n]*connect/, 'refresh --concurrently --concurrently gets past the options');
});

t.test('a connection setting that is no PostgreSQL URL is named, without echoing it', async (t) => {
  const expected = (name: string) => `${name} is not a PostgreSQL connection URL: write it as postgres://user:password@host:5432/database`;
  for (const value of ['garbage', 'mysql://me:secret@db/shop']) {
    const result = await salesdash(['refresh'], { DATABASE_URL: value });
    t.same(result, { code: 1, stdout: '', stderr: `salesdash: refresh: ${expected('DATABASE_URL')}\n` }, value);
  }
  const api = await salesdash(['serve', '--port', '5099'], { SALESDASH_API_DATABASE_URL: 'not a url' });
  t.same(api, { code: 1, stdout: '', stderr: `salesdash: serve: ${expected('SALESDASH_API_DATABASE_URL')}\n` });
});
