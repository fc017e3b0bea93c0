// Runs a command (the test runner) with TEST_DATABASE_URL pointing at a real PostgreSQL: the user's own when
// TEST_DATABASE_URL is already set, else the embedded test cluster, started here and stopped afterwards.
import { spawn } from 'node:child_process';
import { start, stop, testCluster } from '../db/embedded.ts';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: tsx scripts/with-test-db.ts <command> [args...]');
  process.exit(2);
}

let startedHere = false;
if (!process.env.TEST_DATABASE_URL) {
  const cluster = testCluster();
  process.env.TEST_DATABASE_URL = await start(cluster);
  startedHere = true;
  console.log(`tests use the embedded PostgreSQL test cluster on port ${cluster.port}`);
} else {
  console.log('tests use TEST_DATABASE_URL');
}

const child = spawn(command, args, { stdio: 'inherit', env: process.env });
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
if (startedHere) await stop(testCluster());
process.exit(code);
