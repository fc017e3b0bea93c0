// Applies db/migrations with dbmate (the npm package ships the dbmate binary for this platform).
import { spawnSync } from 'node:child_process';
import { resolveBinary } from 'dbmate';
import { migrationsDir } from '../paths.ts';
import { describeDbmateFailure } from './failure.ts';

/** dbmate's driver insists on TLS unless told otherwise; a loopback server (the embedded one) has none. */
export function dbmateUrl(url: string): string {
  const parsed = new URL(url);
  const loopback = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(parsed.hostname);
  if (loopback && !parsed.searchParams.has('sslmode')) parsed.searchParams.set('sslmode', 'disable');
  return parsed.toString();
}

export function runDbmate(url: string, command: 'up' | 'migrate' | 'rollback' | 'status'): string {
  const result = spawnSync(
    resolveBinary(),
    ['--url', dbmateUrl(url), '--migrations-dir', migrationsDir, '--no-dump-schema', command],
    { encoding: 'utf8' },
  );
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.status !== 0) {
    // dbmate prints "Error: <message>"; keep the one line that says what went wrong.
    const line = output.split('\n').reverse().find((l) => l.trim()) ?? 'unknown error';
    throw new Error(`migration failed: ${describeDbmateFailure(line.replace(/^Error:\s*/, ''))}`);
  }
  return output;
}

/** Brings the schema up to date; `migrate` (not `up`) because the database already exists. */
export function migrate(url: string): string {
  return runDbmate(url, 'migrate');
}
