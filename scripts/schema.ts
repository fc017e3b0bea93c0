// db/schema.sql is generated: the migrations applied to an empty database, dumped by dbmate (pg_dump).
//   tsx scripts/schema.ts write   regenerate it (review the diff with each migration)
//   tsx scripts/schema.ts check   fail when it differs from what the migrations produce (CI runs this)
// SCHEMA_SERVER_URL names a PostgreSQL server whose major version matches the pg_dump on PATH (the embedded
// package ships no pg_dump; CI uses Debian's PostgreSQL 15). A scratch database is created there and dropped.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { resolveBinary } from 'dbmate';
import { dbmateUrl, migrate } from '../db/migrate.ts';
import { projectRoot } from '../paths.ts';

const mode = process.argv[2];
const server = process.env.SCHEMA_SERVER_URL;
if ((mode !== 'write' && mode !== 'check') || !server) {
  console.error('usage: SCHEMA_SERVER_URL=postgres://... tsx scripts/schema.ts write|check');
  process.exit(2);
}
const schemaFile = path.join(projectRoot, 'db', 'schema.sql');

// pg_dump 15.14+ writes a random \restrict key into every dump; it says nothing about the schema.
const withoutRestrictKeys = (dump: string) => dump.replace(/^\\(un)?restrict .*\n/gm, '');

const name = `salesdash_schema_${randomBytes(4).toString('hex')}`;
const admin = postgres(server, { max: 1, onnotice: () => {} });
await admin`create database ${admin(name)}`;
const scratch = new URL(server);
scratch.pathname = `/${name}`;
const workDir = mkdtempSync(path.join(os.tmpdir(), 'salesdash-schema-'));
try {
  migrate(scratch.toString());
  const dumped = path.join(workDir, 'schema.sql');
  const result = spawnSync(resolveBinary(), ['--url', dbmateUrl(scratch.toString()), '--schema-file', dumped, 'dump'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`dbmate dump failed: ${(result.stderr || result.stdout).trim()}`);
  const generated = withoutRestrictKeys(readFileSync(dumped, 'utf8'));
  if (mode === 'write') {
    writeFileSync(schemaFile, generated);
    console.log(`wrote ${path.relative(projectRoot, schemaFile)}`);
  } else {
    const committed = withoutRestrictKeys(readFileSync(schemaFile, 'utf8'));
    if (committed !== generated) {
      const a = committed.split('\n');
      const b = generated.split('\n');
      const line = a.findIndex((text, i) => text !== b[i]);
      console.error(`db/schema.sql differs from what the migrations produce, from line ${line + 1}:`);
      console.error(`  committed: ${a[line] ?? '(end of file)'}\n  generated: ${b[line] ?? '(end of file)'}`);
      console.error('run: SCHEMA_SERVER_URL=... make schema, and commit db/schema.sql');
      process.exitCode = 1;
    } else {
      console.log('db/schema.sql matches the migrations');
    }
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
  await admin`drop database if exists ${admin(name)} with (force)`;
  await admin.end();
}
