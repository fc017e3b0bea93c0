// `salesdash migrate`: dbmate up on db/migrations against DATABASE_URL or the embedded server.
import { parseOptions, type Command } from '../command.ts';
import { resolveDatabaseUrl } from '../../db/connection.ts';
import { migrate } from '../../db/migrate.ts';
import { enterStep } from '../job.ts';

export const migrateCommand: Command = {
  summary: 'apply database migrations (dbmate)',
  usage: `usage: salesdash migrate

Applies db/migrations (dbmate) to DATABASE_URL or the embedded PostgreSQL; already applied ones are skipped.
`,
  async run(args) {
    parseOptions(args, {}, false);
    const url = await resolveDatabaseUrl();
    enterStep('applying migrations');
    const output = migrate(url);
    console.log(output || 'database schema is up to date');
  },
};
