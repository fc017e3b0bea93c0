// Two batch jobs of the same kind started at once, as real CLI processes (cron firing twice, two operators):
// each either succeeds or exits 1 with one clear line, and what they publish is never half-written. A training
// killed with SIGKILL in the middle leaves the previous predictions untouched.
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import postgres from 'postgres';
import { generate } from '../../jobs/generate/index.ts';
import { projectRoot } from '../../paths.ts';
import type { Sql } from '../../db/connection.ts';
import { testDatabase } from '../helpers/db.ts';

const bin = path.join(projectRoot, 'bin', 'salesdash.js');
const customers = 1000;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(url: string, args: string[], onStderr?: (text: string) => void) {
  const child = spawn(bin, args, { env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    onStderr?.(stderr);
  });
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, exited };
}

/** What refresh_rfm published and what the model scored, counted the way a reader sees it. */
async function published(sql: Sql) {
  const [row] = await sql`
    select (select count(*) from salesdash_internal.int_counted_orders)::int as counted_orders,
           (select count(distinct customer_id) from salesdash_internal.int_counted_orders)::int as people,
           (select count(*) from salesdash.rfm_scores)::int as rfm_scores,
           (select count(*) from salesdash.rfm_list)::int as rfm_list,
           (select customers from salesdash.rfm_refresh_status) as status_customers,
           (select sum(customers) from salesdash.segment_summary)::int as summary_customers,
           (select count(*) from salesdash.predictions)::int as predictions,
           (select count(distinct model_run_id) from salesdash.predictions)::int as prediction_runs,
           (select max(model_run_id) from salesdash.predictions)::int as model_run_id`;
  return row!;
}

/** A failing job must say why in one line, naming the other job, not dump a stack trace. */
function isClearRefusal(exit: Exit): boolean {
  const lines = exit.stderr.trim().split('\n').filter(Boolean);
  return exit.code === 1 && /already running/.test(lines.at(-1) ?? '') && !/\n\s+at /.test(exit.stderr);
}

t.test('two refreshes and two trainings at once, then a training killed mid-run', async (t) => {
  const { sql, url } = await testDatabase(t);
  await generate(sql, { customers, seed: 5 });

  await t.test('two `salesdash refresh` at once: the second waits for the first (the refresh turn), both succeed', async (t) => {
    // Hold the refresh lock first, so both processes are certainly running at the same time: both must queue
    // behind it (seen in pg_stat_activity), then run one after the other once it is released.
    const holder = postgres(url, { max: 1, onnotice: () => {} });
    const observer = postgres(url, { max: 1, onnotice: () => {} });
    t.teardown(() => Promise.all([holder.end(), observer.end()]));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = holder.begin(async (tx) => {
      await tx`select salesdash_internal.wait_for_refresh_turn()`;
      locked();
      await released;
    });
    await isLocked;
    const jobs = [cli(url, ['refresh']).exited, cli(url, ['refresh', '--concurrently']).exited];
    let waiting = 0;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && waiting < 2; ) {
      await new Promise((r) => setTimeout(r, 200));
      const [row] = await observer`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'relation' and query ilike '%refresh_rfm%'`;
      waiting = row!.n;
    }
    t.equal(waiting, 2, 'both refresh processes were running at once, queued on the refresh lock');
    release();
    await holding;
    const [a, b] = await Promise.all(jobs);
    for (const [label, exit] of [['first', a], ['second', b]] as const) {
      t.ok(exit.code === 0 || isClearRefusal(exit), `${label} refresh: exit ${exit.code}; ${exit.stdout.trim().split('\n').pop()}${exit.stderr.trim()}`);
    }
    const p = await published(sql);
    t.equal(p.rfm_scores, p.people, `rfm_scores has every person (${p.people})`);
    t.equal(p.rfm_list, p.people, 'the API list has every person');
    t.equal(p.status_customers, p.people, 'the refresh status names the same count');
    t.equal(p.summary_customers, p.people, 'segment counts sum to it');
  });

  await t.test('two `salesdash train` at once: one trains, the other finishes after it or refuses in one line', async (t) => {
    const [a, b] = await Promise.all([cli(url, ['train', '--seed', '1']).exited, cli(url, ['train', '--seed', '2']).exited]);
    const exits = [a, b];
    t.ok(exits.some((e) => e.code === 0), `at least one training succeeded (exits ${a.code}, ${b.code})`);
    for (const exit of exits.filter((e) => e.code !== 0)) {
      t.ok(isClearRefusal(exit), `the other was refused in one line: "${exit.stderr.trim().split('\n').pop()}"`);
    }
    t.comment(`concurrent trainings exited ${a.code} and ${b.code}`);
    const p = await published(sql);
    t.equal(p.predictions, p.people, `predictions for every person (${p.people})`);
    t.equal(p.prediction_runs, 1, 'all predictions come from one model run');
  });

  await t.test('a training killed with SIGKILL mid-run leaves the previous predictions as they were', async (t) => {
    const before = await published(sql);
    const [fingerprintBefore] = await sql`select md5(string_agg(p::text, '|' order by customer_id)) as md5 from salesdash.predictions p`;
    let killedAt = '';
    const job = cli(url, ['train', '--seed', '3'], (stderr) => {
      // Kill once the network is fitting: features are loaded and nothing is published yet.
      if (!killedAt && /epoch \d+/.test(stderr)) {
        killedAt = stderr.trim().split('\n').pop()!;
        job.child.kill('SIGKILL');
      }
    });
    const exit = await job.exited;
    t.equal(exit.code, null, `the training was killed (at "${killedAt}")`);
    const after = await published(sql);
    t.same(after, before, 'row counts and the model run are unchanged');
    const [fingerprintAfter] = await sql`select md5(string_agg(p::text, '|' order by customer_id)) as md5 from salesdash.predictions p`;
    t.equal(fingerprintAfter!.md5, fingerprintBefore!.md5, 'predictions are byte-for-byte the previous ones');
    // The killed session's advisory lock died with its connection: the next training is not refused.
    const next = await cli(url, ['train', '--seed', '4']).exited;
    t.equal(next.code, 0, `the next training runs (${next.stderr.trim().split('\n').pop()})`);
    const final = await published(sql);
    t.equal(final.predictions, final.people, 'and publishes complete predictions');
    t.ok(final.model_run_id > before.model_run_id, 'from a new model run');
  });
});
