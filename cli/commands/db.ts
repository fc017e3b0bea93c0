// `salesdash db start|stop|status|url [--reader]`: the embedded PostgreSQL server.
import type { Command } from '../command.ts';
import { parseOptions, UsageError } from '../command.ts';
import { connectionUrl, defaultCluster, isInitialised, isRunning, readerLoginUrl, runningPort, start, stop } from '../../db/embedded.ts';
import { notMigrated } from '../../db/failure.ts';

const usage = `usage: salesdash db start|stop|status|url [--reader]

The embedded PostgreSQL (data in data/postgres; DATABASE_URL does not change what these act on).

  start           start it (created on first use, with a generated password kept in data/)
  stop            stop it
  status          whether it runs, on which port (exit code 3 when it does not)
  url             the owner's connection string: every right on the shop's data (psql, migrations);
                  not for BI tools
  url --reader    the read-only login salesdash_reader: selects on schema salesdash only (BI tools)
`;

export const db: Command = {
  summary: "start | stop | status | url [--reader] of the embedded PostgreSQL (url: the owner's login)",
  usage,
  async run(args) {
    const { values, positionals } = parseOptions(args, { reader: { type: 'boolean' } });
    const [action, ...rest] = positionals;
    if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}" (see --help)`);
    if (values.reader && action !== 'url') throw new UsageError('--reader goes with url (salesdash db url --reader)');
    const cluster = defaultCluster();
    switch (action) {
      case 'start':
        await start(cluster);
        console.log(`embedded PostgreSQL running on port ${runningPort(cluster)} (data: ${cluster.dataDir})`);
        return 0;
      case 'stop':
        console.log((await stop(cluster)) ? 'embedded PostgreSQL stopped' : 'embedded PostgreSQL was not running');
        return 0;
      case 'status': {
        const running = await isRunning(cluster);
        console.log(
          running
            ? `running on port ${runningPort(cluster)} (data: ${cluster.dataDir})`
            : isInitialised(cluster)
              ? 'stopped'
              : 'not initialised (run: salesdash db start)',
        );
        return running ? 0 : 3;
      }
      case 'url': {
        if (!(await isRunning(cluster))) {
          // With DATABASE_URL the other commands use that server, and its logins are its DBA's to give.
          if (process.env.DATABASE_URL) {
            throw new Error(
              'embedded PostgreSQL is not running; db url names its logins only, and DATABASE_URL is set: on that server ' +
                (values.reader
                  ? "give BI tools the read-only role: alter role salesdash_reader login password '...' (docs/rfm.md#roles)"
                  : 'DATABASE_URL is the login'),
            );
          }
          throw new Error('embedded PostgreSQL is not running (run: salesdash db start)');
        }
        if (values.reader) {
          const url = await readerLoginUrl(cluster);
          if (!url) throw new Error(notMigrated);
          console.log(url);
          return 0;
        }
        console.log(connectionUrl(cluster));
        // Only a person at a terminal sees this; `$(salesdash db url)` and pipes get the bare URL on stdout.
        if (process.stderr.isTTY) {
          process.stderr.write("this is the owner's login (every right); BI tools: salesdash db url --reader\n");
        }
        return 0;
      }
      default:
        throw new UsageError(`usage: salesdash db start|stop|status|url [--reader]${action ? ` (unknown action "${action}")` : ''}`);
    }
  },
};
