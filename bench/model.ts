// Model benchmark: training and scoring time, peak memory and backend of `salesdash train` on a database.
//   benchTrain(url)                        measure on an existing database (bench/run.ts calls this)
//   tsx bench/model.ts --customers 1000000 generate into a fresh database on the test cluster, measure, drop it
// Training runs in a child process so the peak memory is the training's own, not the caller's.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { connect } from '../db/connection.ts';
import { migrate } from '../db/migrate.ts';
import { generate } from '../jobs/generate/index.ts';
import { adminUrl, withDatabase } from '../test/helpers/db.ts';
import { train } from '../jobs/train/train.ts';

export interface ModelBench {
  trainSeconds: number;
  scoreSeconds: number;
  peakRssMb: number;
  /** CPU seconds of the training process (user + system): a fairer figure than wall time on a shared machine. */
  cpuSeconds: number;
  backend: string;
  customers: number;
  trainingSamples: number;
  rocAuc: number;
  prAuc: number;
  recencyRocAuc: number;
  bgnbdRocAuc: number;
}

const thisFile = fileURLToPath(import.meta.url);

export async function benchTrain(url: string): Promise<ModelBench> {
  const child = spawnSync(process.execPath, ['--import', 'tsx', thisFile, '--train-url', url], {
    encoding: 'utf8',
    // Progress lines (stderr) pass through; the result is the last stdout line.
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`model benchmark failed: ${(child.stdout ?? '').trim().split('\n').pop()}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as ModelBench;
}

async function trainAndMeasure(url: string): Promise<ModelBench> {
  const sql = connect(url, { max: 4 });
  const started = performance.now();
  try {
    const result = await train(sql, { onProgress: (message) => {
      if (!message.startsWith('scored ')) console.error(`${((performance.now() - started) / 1000).toFixed(1)} s  ${message}`);
    } });
    return {
      trainSeconds: round(result.trainSeconds),
      scoreSeconds: round(result.scoreSeconds),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      cpuSeconds: round((process.cpuUsage().user + process.cpuUsage().system) / 1e6),
      backend: result.backend,
      customers: result.predictions,
      trainingSamples: result.metrics.training_samples,
      rocAuc: result.metrics.roc_auc,
      prAuc: result.metrics.pr_auc,
      recencyRocAuc: result.metrics.baselines.recency.roc_auc,
      bgnbdRocAuc: result.metrics.baselines.bgnbd.roc_auc,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const round = (seconds: number) => Math.round(seconds * 10) / 10;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'train-url': { type: 'string' }, customers: { type: 'string' }, seed: { type: 'string' } } });
  if (values['train-url']) {
    console.log(JSON.stringify(await trainAndMeasure(values['train-url'])));
    return;
  }
  const customers = Number(values.customers ?? 1_000_000);
  const admin = await adminUrl();
  const name = `salesdash_bench_model_${process.pid}`;
  const adminSql = postgres(admin, { max: 1, onnotice: () => {} });
  await adminSql`create database ${adminSql(name)}`;
  const url = withDatabase(admin, name);
  try {
    migrate(url);
    const sql = connect(url, { max: 2 });
    const generated = await generate(sql, { customers, seed: Number(values.seed ?? 42) });
    await sql.end();
    console.error(`generated ${generated.customers} customers, ${generated.orders} orders in ${generated.seconds.toFixed(1)} s`);
    console.log(JSON.stringify(await benchTrain(url), null, 2));
  } finally {
    await adminSql`drop database if exists ${adminSql(name)} with (force)`;
    await adminSql.end();
  }
}

if (process.argv[1] === thisFile) await main();
