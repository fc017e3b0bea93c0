// `salesdash db start|status|url|stop` on a cluster of its own (own data folder and port), end to end:
// initdb on first start, a URL that a client can use, a clean stop, and one-line errors with exit codes.
import { execFile } from 'node:child_process';
import { mkdtempSync, chmodSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import t from 'tap';
import { projectRoot } from '../../paths.ts';
import { runSalesdash } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';

const run = promisify(execFile);
const bin = path.join(projectRoot, 'bin', 'salesdash.js');

t.test('db start, status, url and stop manage an embedded server', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'salesdash-db-'));
  chmodSync(dataDir, 0o755); // the server runs as the postgres OS user when we are root
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, SALESDASH_DATA_DIR: dataDir, SALESDASH_PG_PORT: String(port), DATABASE_URL: '' };
  const salesdash = async (...args: string[]) => salesdashWith(env, ...args);
  const salesdashWith = async (env: NodeJS.ProcessEnv, ...args: string[]) =>
    run(process.execPath, [bin, ...args], { env }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
  t.teardown(async () => {
    await salesdash('db', 'stop');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const before = await salesdash('db', 'status');
  t.equal(before.code, 3);
  t.match(before.stdout, /not initialised/);
  const noUrl = await salesdash('db', 'url');
  t.equal(noUrl.code, 1);
  t.equal(noUrl.stderr, 'salesdash: db: embedded PostgreSQL is not running (run: salesdash db start)\n');
  // With DATABASE_URL the other commands use that server: db url says where its logins come from instead.
  const ownServer = { ...env, DATABASE_URL: 'postgres://someone@db.example:5432/shop' };
  t.equal((await salesdashWith(ownServer, 'db', 'url', '--reader')).stderr,
    "salesdash: db: embedded PostgreSQL is not running; db url names its logins only, and DATABASE_URL is set: on that server give BI tools the read-only role: alter role salesdash_reader login password '...' (docs/rfm.md#roles)\n");
  t.equal((await salesdashWith(ownServer, 'db', 'url')).stderr,
    'salesdash: db: embedded PostgreSQL is not running; db url names its logins only, and DATABASE_URL is set: on that server DATABASE_URL is the login\n');

  t.equal((await salesdash('db', 'start')).code, 0);
  const status = await salesdash('db', 'status');
  t.equal(status.code, 0);
  t.equal(status.stdout, `running on port ${port} (data: ${path.join(dataDir, 'postgres')})\n`);
  // SALESDASH_PG_PORT only chose the port when the cluster was created: a shell without it (or with another
  // value) is told the port the server really listens on, not the default 54329.
  const { SALESDASH_PG_PORT: _chosen, ...withoutPort } = env;
  t.equal((await salesdashWith(withoutPort, 'db', 'status')).stdout, status.stdout, 'the running port without SALESDASH_PG_PORT');
  t.equal((await salesdashWith({ ...env, SALESDASH_PG_PORT: String(port + 1) }, 'db', 'status')).stdout, status.stdout, 'and with another one');
  const { stdout } = await salesdash('db', 'url');
  const url = stdout.trim();
  t.match(url, /^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/salesdash$/);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const [row] = await sql`select current_database() as db, current_setting('server_version_num')::int >= 140000 as modern`;
  await sql.end();
  t.same({ ...row }, { db: 'salesdash', modern: true });

  t.equal((await salesdash('db', 'start')).code, 0, 'starting a running server is fine');
  t.equal((await salesdash('db', 'stop')).code, 0);
  const after = await salesdash('db', 'status');
  t.equal(after.code, 3);
  t.match(after.stdout, /^stopped/);
  const bad = await salesdash('db', 'restart');
  t.equal(bad.code, 1);
  t.equal(bad.stderr, 'salesdash: db: usage: salesdash db start|stop|status|url [--reader] (unknown action "restart")\n');
});

t.test('db url --reader: a read-only login for BI tools, with a password of its own kept out of the repository', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'salesdash-db-reader-'));
  chmodSync(dataDir, 0o755);
  const env = { ...process.env, SALESDASH_DATA_DIR: dataDir, SALESDASH_PG_PORT: String(await freePort()), DATABASE_URL: '' };
  const salesdash = (...args: string[]) => runSalesdash(env, ...args);
  t.teardown(async () => {
    await salesdash('db', 'stop');
    rmSync(dataDir, { recursive: true, force: true });
  });

  t.equal((await salesdash('db', 'start')).code, 0);
  const early = await salesdash('db', 'url', '--reader');
  t.same(early, { code: 1, stdout: '', stderr: 'salesdash: db: the database has no salesdash schema yet (run: salesdash migrate)\n' });
  const migrated = await salesdash('migrate');
  t.equal(migrated.code, 0, migrated.stderr);

  const first = await salesdash('db', 'url', '--reader');
  t.equal(first.code, 0, first.stderr);
  const url = first.stdout.trim();
  t.match(url, /^postgres:\/\/salesdash_reader:[A-Za-z0-9_-]{24}@127\.0\.0\.1:\d+\/salesdash$/);
  t.equal((await salesdash('db', 'url', '--reader')).stdout.trim(), url, 'the same login every time');
  const owner = (await salesdash('db', 'url')).stdout.trim();
  t.not(new URL(owner).password, new URL(url).password, 'a password of its own');
  const credentials = JSON.parse(readFileSync(path.join(dataDir, 'postgres.credentials.json'), 'utf8'));
  t.equal(credentials.readerPassword, new URL(url).password, 'kept in the data folder (git-ignored)');
  t.equal(statSync(path.join(dataDir, 'postgres.credentials.json')).mode & 0o777, 0o600);

  const reader = postgres(url, { max: 1, onnotice: () => {} });
  t.teardown(() => reader.end({ timeout: 1 }));
  const [who] = await reader`select current_user as user`;
  t.equal(who!.user, 'salesdash_reader');
  const segments = await reader`select segment, customers from segment_summary`;
  t.ok(segments.length >= 5, 'reads the marts by plain name');
  t.same(segments.map((s) => Number(s.customers)), segments.map(() => 0), 'an empty shop: 0 customers per segment');
  for (const [what, statement] of [
    ['read raw.orders', 'select count(*) from raw.orders'],
    ['read salesdash_internal', 'select * from salesdash_internal.shop_source'],
    ['insert', "insert into salesdash.rfm_segment_rules (segment) values ('x')"],
    ['delete', 'delete from salesdash.rfm_segment_rules'],
    ['create a table', 'create table salesdash.mine (a int)'],
    ['refresh', 'select salesdash.refresh_rfm()'],
  ] as const) {
    await t.rejects(reader.unsafe(statement), { code: '42501' }, `cannot ${what}`);
  }
});
