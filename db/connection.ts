// One place that decides which PostgreSQL every command talks to: the user's own (DATABASE_URL) or the
// embedded one, started on demand.
import postgres from 'postgres';
import { defaultCluster, start } from './embedded.ts';

export type Sql = postgres.Sql<{}>;

/** Resolves the connection string, starting the embedded server when DATABASE_URL is not set. */
export async function resolveDatabaseUrl(): Promise<string> {
  const configured = process.env.DATABASE_URL;
  if (configured) return configured;
  return start(defaultCluster());
}

export interface ConnectOptions {
  /** Pool size; the API wants several, a batch job one or two. */
  max?: number;
  /** Fail fast when the server is away instead of hanging (seconds). */
  connectTimeout?: number;
}

export function connect(url: string, options: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 4,
    connect_timeout: options.connectTimeout ?? 10,
    idle_timeout: 60,
    onnotice: () => {},
    // numeric and bigint arrive as strings in postgres.js; the SQL casts to float8/int where JSON needs numbers.
    connection: { application_name: 'salesdash' },
  });
}
