// Every job tells the truth about how it ended. The real CLI (bin/salesdash.js) runs each batch job (migrate,
// refresh, import of both kinds, generate, train) against a private embedded cluster; once the job is certainly
// in the middle of its work (pg_stat_activity shows its statement waiting behind a lock this test holds), its
// backend is terminated with pg_terminate_backend or the whole server crashes (pg_ctl stop -m immediate). Each
// time: exit code 1, one stderr line naming the job, the step and the lost connection (no stack, no library
// source), and the database exactly as before.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { Sql } from '../../db/connection.ts';
import { isRunning, namedCluster, start, stop } from '../../db/embedded.ts';
import { generate } from '../../jobs/generate/index.ts';
import { train } from '../../jobs/train/train.ts';
import { projectRoot } from '../../paths.ts';
import { crash } from '../helpers/crash.ts';
import { scratchDatabase } from '../helpers/db.ts';
import { rawSnapshot } from '../import/raw-snapshot.ts';

const cluster = namedCluster('test-jobs-postgres', Number(process.env.SALESDASH_JOBS_PG_PORT ?? 54379), 'postgres');
const bin = path.join(projectRoot, 'bin', 'salesdash.js');
const olistDir = path.join(projectRoot, 'test', 'fixtures', 'olist-small');
// Ten CLI runs, five of them with a server restart, and two full trainings on a shared 2-core machine.
t.setTimeout(900_000);

type Interruption = 'terminate' | 'crash';

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Everything a job could have changed that a reader sees: raw.*, the published RFM and the predictions. */
async function fingerprint(sql: Sql) {
  const [published] = await sql<{ rfm_refresh_status: string; rfm_scores: string; rfm_rows: number; predictions: string; prediction_rows: number }[]>`
    select (select md5(coalesce(string_agg(s::text, '|'), '')) from salesdash.rfm_refresh_status s) as rfm_refresh_status,
           (select md5(coalesce(string_agg(r::text, '|' order by r.customer_id), '')) from salesdash.rfm_scores r) as rfm_scores,
           (select count(*)::int from salesdash.rfm_scores) as rfm_rows,
           (select md5(coalesce(string_agg(p::text, '|' order by p.customer_id), '')) from salesdash.predictions p) as predictions,
           (select count(*)::int from salesdash.predictions) as prediction_rows`;
  return { raw: await rawSnapshot(sql), ...published! };
}

/**
 * Holds the job up inside its transaction: `statement` runs in a transaction of a connection of its own (a lock
 * the job will need) until `release`. A crash ends that connection too, which is fine: the job is gone by then.
 */
async function holdBack(url: string, statement: (sql: postgres.ReservedSql) => Promise<unknown>) {
  const holder = postgres(url, { max: 1, onnotice: () => {} });
  const connection = await holder.reserve();
  await connection`begin`;
  await statement(connection);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await connection`rollback`.catch(() => {});
    connection.release();
    await holder.end({ timeout: 0 });
  };
}

/**
 * Makes the next INSERT or COPY into `table` wait (a statement trigger taking an advisory lock the holder keeps)
 * until released; the trigger is dropped again by the returned function.
 */
async function holdInserts(sql: Sql, url: string, table: string) {
  await sql`
    create or replace function public.interrupted_jobs_hold() returns trigger language plpgsql as $$
    begin
      perform pg_advisory_xact_lock_shared(724001);
      return null;
    end $$`;
  await sql`create trigger interrupted_jobs_hold before insert on ${sql(table)} for each statement execute function public.interrupted_jobs_hold()`;
  const release = await holdBack(url, (c) => c`select pg_advisory_xact_lock(724001)`);
  return { release, drop: () => sql`drop trigger interrupted_jobs_hold on ${sql(table)}` };
}

/**
 * Runs the CLI; `interrupt` is called with the backend pid once one of the job's statements waits on a lock (the
 * only backend of the database that can: the holder holds, the observer only looks).
 */
async function runInterrupted(url: string, args: string[], interrupt: (pid: number) => Promise<void>): Promise<Exit & { waited: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url };
  delete env.SALESDASH_DEBUG;
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let exited = false;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => ((exited = true), resolve(code))));

  const observer = postgres(url, { max: 1, onnotice: () => {} });
  let waiting: { pid: number; query: string } | undefined;
  try {
    for (const deadline = Date.now() + 240_000; !waiting && !exited && Date.now() < deadline; ) {
      [waiting] = await observer<{ pid: number; query: string }[]>`
        select pid, query from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`;
      if (!waiting) await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await observer.end({ timeout: 1 });
  }
  if (!waiting) {
    child.kill('SIGKILL');
    await exit;
    throw new Error(`salesdash ${args.join(' ')} never waited on the held lock (exit ${exited}): ${stderr.slice(-500)}`);
  }
  await interrupt(waiting.pid);
  return { code: await exit, stdout, stderr, waited: waiting.query.trim().replace(/\s+/g, ' ').slice(0, 80) };
}

/**
 * After a crash every pooled connection is dead, and one that has not yet noticed fails its next query with
 * CONNECTION_CLOSED (then reconnects). Queries on all of them at once until every one answers.
 */
async function reconnected(sql: Sql, connections = 4): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const answers = await Promise.allSettled(Array.from({ length: connections }, () => sql`select pg_sleep(0.05)`));
    if (answers.every((answer) => answer.status === 'fulfilled')) return;
  }
  throw new Error('the pool did not reconnect after the crash');
}

function checkExit(t: Test, exit: Exit, command: string, step: string, options: { progressOnStderr?: boolean } = {}) {
  t.equal(exit.code, 1, 'exit code 1');
  const lines = exit.stderr.split('\n').filter(Boolean);
  const failures = lines.filter((line) => line.startsWith('salesdash:'));
  t.equal(failures.length, 1, `one failure line: ${JSON.stringify(failures.at(-1) ?? exit.stderr.slice(0, 300))}`);
  t.equal(failures[0], lines.at(-1), 'it is the last line on stderr');
  // train's stderr also carries its progress milestones ("epoch 3: ..."); every other job's holds only the failure.
  if (!options.progressOnStderr) t.equal(lines.length, 1, 'nothing else on stderr');
  t.match(
    failures[0],
    new RegExp(`^salesdash: ${command} failed while ${step.replace(/[.*()]/g, '\\$&')}: the database connection was lost \\([^)]+\\)$`),
    'names the job, the step and the lost connection',
  );
  t.notMatch(exit.stderr, /\n\s+at |node_modules|Error:|\^/, 'no stack trace or source code');
  t.ok(lines.every((line) => line.length < 300), 'no line longer than 300 characters');
}

t.test('jobs interrupted by a terminated backend or a PostgreSQL crash exit 1 with one line and change nothing', async (t) => {
  const adminUrl = await start(cluster);
  t.teardown(async () => {
    if (await isRunning(cluster)) await stop(cluster);
  });
  const { url } = await scratchDatabase(t, adminUrl, { prefix: 'jobs', beforeDrop: () => start(cluster) });
  // train() holds a lock connection, its transaction and the feature stream at once.
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  t.teardown(() => sql.end({ timeout: 1 }));
  await generate(sql, { customers: 1000, seed: 7 });
  await sql`select salesdash.refresh_rfm()`;
  await train(sql, { seed: 1, network: { maxEpochs: 2 } });
  const scratch = mkdtempSync(path.join(tmpdir(), 'salesdash-jobs-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const csv = path.join(scratch, 'shop.csv');
  writeFileSync(
    csv,
    'order_id,customer_id,order_date,amount\n' +
      Array.from({ length: 200 }, (_, i) => `T-${i},shopper-${i % 40},2024-11-${String((i % 28) + 1).padStart(2, '0')},${10 + i}.50`).join('\n') +
      '\n',
  );
  const before = await fingerprint(sql);
  t.ok(before.rfm_rows > 0 && before.prediction_rows > 0, `published: ${before.rfm_rows} RFM rows, ${before.prediction_rows} predictions`);

  const interruptions: Record<Interruption, (pid: number, database?: string) => Promise<void>> = {
    terminate: async (pid, database = url) => {
      const admin = postgres(database, { max: 1, onnotice: () => {} });
      await admin`select pg_terminate_backend(${pid})`;
      await admin.end();
    },
    crash: () => crash(cluster),
  };

  /** One job run, held back by `hold`, interrupted `how`; afterwards the server is up and nothing changed. */
  async function interrupted(
    t: Test,
    how: Interruption,
    args: string[],
    hold: () => Promise<{ release: () => Promise<void>; drop?: () => Promise<unknown> }>,
    step: string,
  ) {
    const held = await hold();
    let exit: Exit & { waited: string };
    try {
      exit = await runInterrupted(url, args, async (pid) => {
        await interruptions[how](pid);
        // A terminated job stays stopped even once the lock is free: its connection is gone.
        await held.release();
      });
    } finally {
      await held.release();
      if (!(await isRunning(cluster))) {
        await start(cluster);
        await reconnected(sql);
      }
      await held.drop?.();
    }
    t.comment(`${args[0]} ${how === 'crash' ? 'crashed' : 'terminated'} while waiting in: ${exit.waited}`);
    checkExit(t, exit, args[0]!, step, { progressOnStderr: args[0] === 'train' });
    t.same(await fingerprint(sql), before, 'raw tables, published RFM and predictions are exactly as before');
  }

  for (const how of ['terminate', 'crash'] as const) {
    await t.test(`migrate, ${how}`, async (t) => {
      // A new, empty database; the first migration's `create schema raw` waits behind an uncommitted one.
      const { url: fresh } = await scratchDatabase(t, adminUrl, { prefix: 'jobs_migrate', migrate: false, beforeDrop: () => start(cluster) });
      const release = await holdBack(fresh, (c) => c`create schema raw`);
      let exit: Exit;
      try {
        exit = await runInterrupted(fresh, ['migrate'], async (pid) => {
          await interruptions[how](pid, fresh);
          await release();
        });
      } finally {
        await release();
        if (!(await isRunning(cluster))) await start(cluster);
      }
      t.equal(exit.code, 1, 'exit code 1');
      t.match(exit.stderr, /^salesdash: migrate: migration failed: the database connection was lost \([^)\n]+\)\n$/, `one line: ${JSON.stringify(exit.stderr)}`);
      const check = postgres(fresh, { max: 1, onnotice: () => {} });
      const [{ schemas }] = await check<{ schemas: number }[]>`
        select count(*)::int as schemas from pg_namespace where nspname in ('raw', 'salesdash', 'salesdash_internal')`;
      await check.end();
      t.equal(schemas, 0, 'no migration was applied');
    });

    await t.test(`refresh, ${how}`, (t) =>
      // Whatever the refresh does inside, publishing updates salesdash_internal.rfm_publication: held here, the
      // refresh has done all its work and waits to publish. Another as-of date gives it real work to do.
      interrupted(t, how, ['refresh', '--as-of', how === 'terminate' ? '2024-06-01' : '2024-03-01'],
        async () => ({ release: await holdBack(url, (c) => c`lock table salesdash_internal.rfm_publication in exclusive mode`) }),
        'computing and publishing RFM (salesdash.refresh_rfm)'));

    // The shop holds generated data, so the imports replace it: emptied, then held while merging their rows.
    await t.test(`import transactions --replace, ${how}`, (t) =>
      interrupted(t, how, ['import', 'transactions', csv, '--replace'], () => holdInserts(sql, url, 'raw.orders'), 'merging into raw.*'));

    await t.test(`import olist --replace, ${how}`, (t) =>
      interrupted(t, how, ['import', 'olist', olistDir, '--replace'], () => holdInserts(sql, url, 'raw.orders'), 'merging into raw.*'));

    // Customers, products and categories are loaded by then (the raw tables truncated in the same transaction).
    await t.test(`generate --replace, ${how}`, (t) =>
      interrupted(t, how, ['generate', '--customers', '500', '--seed', '9', '--replace'],
        () => holdInserts(sql, url, 'raw.orders'), 'loading raw.orders'));

    // The model is trained and its run stored: the COPY of the new predictions has begun (the operator's case).
    await t.test(`train, ${how}`, (t) =>
      interrupted(t, how, ['train', '--seed', '5'], () => holdInserts(sql, url, 'salesdash.predictions'), 'scoring customers'));
  }
});
