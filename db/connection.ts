// One place that decides which PostgreSQL every command talks to: the user's own (DATABASE_URL) or the
// embedded one, started on demand.
import postgres from 'postgres';
import { apiLoginUrl, defaultCluster, start } from './embedded.ts';
import { notMigrated } from './failure.ts';

export type Sql = postgres.Sql<{}>;

/** Resolves the connection string, starting the embedded server when DATABASE_URL is not set. */
export async function resolveDatabaseUrl(): Promise<string> {
  const configured = connectionUrlSetting('DATABASE_URL');
  if (configured) return configured;
  return start(defaultCluster());
}

/**
 * A connection URL from the environment variable `name`, checked to be one (else the driver says only "Invalid
 * URL"). The value is not echoed: it may hold a password.
 */
function connectionUrlSetting(name: 'DATABASE_URL' | 'SALESDASH_API_DATABASE_URL'): string | undefined {
  const value = process.env[name];
  if (!value) return undefined;
  const protocol = URL.canParse(value) ? new URL(value).protocol : undefined;
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new Error(`${name} is not a PostgreSQL connection URL: write it as postgres://user:password@host:5432/database`);
  }
  return value;
}

/** The role the HTTP API works as: read-only on the marts (schema salesdash) and schema api. */
export const API_ROLE = 'salesdash_api';

export interface ApiDatabase {
  url: string;
  /** When set, the connection switches to this role at login (the URL's user must be allowed to). */
  role?: string;
}

/**
 * How the API connects, least privilege first: SALESDASH_API_DATABASE_URL (a login of its own); else with
 * DATABASE_URL that user switched to the salesdash_api role at login; else the embedded server's
 * salesdash_api login.
 */
export async function resolveApiDatabase(): Promise<ApiDatabase> {
  const own = connectionUrlSetting('SALESDASH_API_DATABASE_URL');
  if (own) return { url: own };
  const configured = connectionUrlSetting('DATABASE_URL');
  if (configured) return { url: configured, role: API_ROLE };
  const cluster = defaultCluster();
  await start(cluster);
  const url = await apiLoginUrl(cluster);
  if (!url) throw new Error(notMigrated);
  return { url };
}

export interface ConnectOptions {
  /** Pool size; the API wants several, a batch job one or two. */
  max?: number;
  /** Fail fast when the server is away instead of hanging (seconds). */
  connectTimeout?: number;
}

/** Called when a batch pool loses a connection while its job still runs (set by the CLI's job reporting). */
let onConnectionLost: (() => void) | undefined;
export function whenConnectionLost(listener: () => void): void {
  onConnectionLost = listener;
}

export function connect(url: string, options: ConnectOptions = {}): Sql {
  let ending = false;
  const sql = postgres(url, {
    max: options.max ?? 4,
    connect_timeout: options.connectTimeout ?? 10,
    idle_timeout: 60,
    onnotice: () => {},
    // A connection that closes before the pool is ended was dropped by the server (or idled out): if the job
    // then never finishes, the CLI can say the connection was lost instead of only that something hung.
    onclose: () => {
      if (!ending) onConnectionLost?.();
    },
    // numeric and bigint arrive as strings in postgres.js; the SQL casts to float8/int where JSON needs numbers.
    connection: { application_name: 'salesdash' },
  });
  const end = sql.end.bind(sql);
  sql.end = (endOptions) => {
    ending = true;
    return end(endOptions);
  };
  return sql;
}

/**
 * Runs a batch job on its own pool and always ends the pool. Ending has a deadline because postgres.js 3.4.9's
 * end() never settles once the server dropped a connection in the middle of a query (porsager/postgres#1097):
 * the CLI then had nothing left to wait for, so Node exited with code 0 before the failure was reported. After
 * a failure nothing is worth waiting for, so the connections are closed at once.
 */
export async function withPool<T>(url: string, options: ConnectOptions, work: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = connect(url, options);
  let failed = true;
  try {
    const result = await work(sql);
    failed = false;
    return result;
  } finally {
    await sql.end({ timeout: failed ? 0 : 5 });
  }
}
