// `salesdash db start|stop|status|url`: the embedded PostgreSQL server.
import type { Command } from '../command.ts';
import { connectionUrl, defaultCluster, isInitialised, isRunning, start, stop } from '../../db/embedded.ts';

export const db: Command = {
  summary: 'start | stop | status | url of the embedded PostgreSQL',
  async run([action, ...rest]) {
    if (rest.length) throw new Error(`unexpected argument "${rest[0]}"`);
    const cluster = defaultCluster();
    switch (action) {
      case 'start':
        await start(cluster);
        console.log(`embedded PostgreSQL running on port ${cluster.port} (data: ${cluster.dataDir})`);
        return 0;
      case 'stop':
        console.log((await stop(cluster)) ? 'embedded PostgreSQL stopped' : 'embedded PostgreSQL was not running');
        return 0;
      case 'status': {
        const running = await isRunning(cluster);
        console.log(
          running
            ? `running on port ${cluster.port} (data: ${cluster.dataDir})`
            : isInitialised(cluster)
              ? 'stopped'
              : 'not initialised (run: salesdash db start)',
        );
        return running ? 0 : 3;
      }
      case 'url':
        if (!(await isRunning(cluster))) throw new Error('embedded PostgreSQL is not running (run: salesdash db start)');
        console.log(connectionUrl(cluster));
        return 0;
      default:
        throw new Error(`usage: salesdash db start|stop|status|url${action ? ` (unknown action "${action}")` : ''}`);
    }
  },
};
