// The commands and the web build run from a production-only install (`npm ci --omit=dev`, through the
// Makefile's own install step) in a temporary copy of the checkout, with an embedded PostgreSQL of its own:
// a runtime import of a devDependency fails here. Not named *.test.ts, so `make test` leaves it out (a second
// npm ci is most of its minute); `make check-production` runs it, and so does CI after `make test`.
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, copyFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { migrationsDir, projectRoot } from '../../paths.ts';
import { startServeProcess } from '../../scripts/serve-process.ts';
import { freePort } from '../helpers/net.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without the test runner's loader hooks (NODE_OPTIONS) and settings, as a user's shell. */
function plainEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/.test(k)));
  return { ...env, ...extra };
}

/** "exits 0", with the end of stderr when it did not. */
const exitsZero = (what: string, result: Run) => `${what} exits 0${result.code ? `: ${result.stderr.slice(-2000)}` : ''}`;

function run(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { ...options, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The checkout's files (tracked, and new ones not ignored) copied to `dir`, without node_modules or data. */
function copyCheckout(dir: string): number {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: projectRoot, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  const files = listed.stdout.split('\0').filter((f) => f && existsSync(path.join(projectRoot, f)));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    copyFileSync(path.join(projectRoot, file), path.join(dir, file));
  }
  return files.length;
}

t.test('a production-only install runs the CLI and builds the web bundle', async (t) => {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'salesdash-production-'));
  chmodSync(copy, 0o755); // as root, PostgreSQL runs as the postgres OS user, which must reach the binaries
  const env = plainEnv({ SALESDASH_DATA_DIR: path.join(copy, 'data'), SALESDASH_PG_PORT: String(await freePort()), DATABASE_URL: '' });
  const salesdash = (...args: string[]) => run(path.join(copy, 'bin', 'salesdash.js'), args, { cwd: copy, env });
  t.teardown(async () => {
    await salesdash('db', 'stop');
    rmSync(copy, { recursive: true, force: true });
  });
  t.comment(`${copyCheckout(copy)} files copied to ${copy}`);

  const web = await run('make', ['web', 'NPM_CI_FLAGS=--omit=dev'], { cwd: copy, env });
  t.equal(web.code, 0, exitsZero('make web NPM_CI_FLAGS=--omit=dev', web));
  t.match(web.stdout, /npm ci --no-audit --no-fund --omit=dev/, 'the Makefile ran the production-only install');
  t.same(`${web.stdout}${web.stderr}`.split('\n').filter((line) => /^npm (warn|error)/i.test(line)), [], 'npm ci printed no warnings');
  for (const devTool of ['tap', 'typescript', 'playwright-core']) {
    t.notOk(existsSync(path.join(copy, 'node_modules', devTool)), `devDependency ${devTool} is not installed`);
  }
  t.ok(existsSync(path.join(copy, 'web', 'dist', 'index.html')), 'the web bundle is built');

  const help = await salesdash('help');
  t.equal(help.code, 0, exitsZero('help', help));
  t.match(help.stdout, /^usage: salesdash <command>/);

  const migrate = await salesdash('migrate');
  t.equal(migrate.code, 0, exitsZero('migrate', migrate));
  const migrations = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql'));
  t.equal(migrate.stdout.match(/^Applied: /gm)?.length, migrations.length, `all ${migrations.length} migrations applied`);

  const generate = await salesdash('generate', '--customers', '200');
  t.equal(generate.code, 0, exitsZero('generate', generate));
  t.match(generate.stdout, /^generated 200 customers/m);

  const refresh = await salesdash('refresh');
  t.equal(refresh.code, 0, exitsZero('refresh', refresh));
  t.match(refresh.stdout, /^refreshed RFM for 200 customers/m);

  const history = await salesdash('history', '--monthly');
  t.equal(history.code, 0, exitsZero('history', history));
  t.match(history.stdout, /^ {2}\[1\/\d+\] \d{4}-\d{2}-\d{2}: computed, [\d,]+ customers/m, 'a progress line per month');
  t.match(history.stdout, /^kept \d+ month-end snapshots, \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}$/m);

  const train = await salesdash('train');
  t.equal(train.code, 0, exitsZero('train', train));
  t.match(train.stdout, /^scored 200 customers/m);

  const serving = await startServeProcess({ ...env, LOG_LEVEL: 'warn' }, copy);
  const exited = once(serving.child, 'exit');
  try {
    const segments = await fetch(`${serving.baseUrl}/api/customers/segments`);
    t.equal(segments.status, 200);
    t.equal(((await segments.json()) as { total_customers: number }).total_customers, 200);
    const metrics = await fetch(`${serving.baseUrl}/api/model/metrics`);
    t.equal(metrics.status, 200, 'the trained model is served');
    const page = await fetch(`${serving.baseUrl}/`);
    t.equal(page.status, 200);
    const script = /<script[^>]+src="\/?([^"]+\.js)"/.exec(await page.text())?.[1];
    t.ok(script, 'the page names its script');
    t.equal((await fetch(`${serving.baseUrl}/${script}`)).status, 200, 'the bundle is served');
  } finally {
    serving.child.kill('SIGTERM');
  }
  const [code] = await exited;
  t.equal(code, 0, 'serve exits 0 on SIGTERM');
});
