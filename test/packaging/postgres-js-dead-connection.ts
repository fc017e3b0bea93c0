// Run by postgres-js.test.ts in a child process, because the bug it shows is an uncaught exception (which
// tap would count against the test): postgres.js with a connection whose backend PostgreSQL terminated.
// Prints one JSON line with what happened. Usage: tsx postgres-js-dead-connection.ts <scenario> <url>
//   reserve-release  a sql.reserve()d connection dies, is release()d, then the pool runs a query
//   begin            a sql.begin() transaction's connection dies, the transaction goes on, then the pool
//                    runs a query
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { isPostgresJsWriteAfterClose } from '../../db/postgres-js-guard.ts';

interface Outcome {
  settled: 'resolved' | 'rejected' | 'pending';
  detail?: string;
}

const [scenario, url] = process.argv.slice(2);
if (!url || (scenario !== 'reserve-release' && scenario !== 'begin')) {
  process.stderr.write('usage: postgres-js-dead-connection.ts reserve-release|begin <url>\n');
  process.exit(2);
}

const uncaught: { message: string; recognised: boolean }[] = [];
process.on('uncaughtException', (error) => uncaught.push({ message: error.message, recognised: isPostgresJsWriteAfterClose(error) }));

function track(promise: Promise<unknown>): Outcome {
  const outcome: Outcome = { settled: 'pending' };
  promise.then(
    (value) => Object.assign(outcome, { settled: 'resolved', detail: JSON.stringify(value) }),
    (error: { code?: string; message?: string }) => Object.assign(outcome, { settled: 'rejected', detail: error.code ?? error.message }),
  );
  return outcome;
}

let closed!: () => void;
const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
const sql = postgres(url, { max: 1, onnotice: () => {}, onclose: () => closed(), connect_timeout: 1 });
const killer = postgres(url, { max: 1, onnotice: () => {} });
const terminate = async (pid: number) => {
  await killer`select pg_terminate_backend(${pid})`;
  await connectionClosed; // postgres.js has seen the socket close (its closed() ran)
};

let transaction: Outcome | undefined;
if (scenario === 'reserve-release') {
  const reserved = await sql.reserve();
  const [{ pid }] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
  await terminate(pid);
  reserved.release();
} else {
  transaction = track(
    sql.begin(async (tx) => {
      const [{ pid }] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
      await terminate(pid);
      await tx`select 1`;
    }),
  );
  await sleep(100);
}
const next = track(sql`select 1 as one`);
// Long enough for a query on a healthy pool, or a reconnect, or a connect timeout (1 s) to happen.
await sleep(3000);
process.stdout.write(`${JSON.stringify({ uncaught, transaction, next })}\n`);
await killer.end();
process.exit(0);
