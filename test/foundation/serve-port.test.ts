// A second `make run` (or `salesdash serve`) while one already serves: one line saying the port is taken and
// how to serve elsewhere, exit code 1, instead of the socket's "listen EADDRINUSE".
import { createServer } from 'node:net';
import t from 'tap';
import { testDatabase } from '../helpers/db.ts';
import { runSalesdash } from '../helpers/cli.ts';

t.test('serve on a port already in use says so and exits 1', async (t) => {
  const { url } = await testDatabase(t);
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.teardown(() => holder.close());
  const port = (holder.address() as { port: number }).port;
  const result = await runSalesdash({ ...process.env, DATABASE_URL: url, LOG_LEVEL: 'fatal' }, 'serve', '--port', String(port));
  t.equal(result.code, 1);
  t.equal(
    result.stderr,
    `salesdash: serve: port ${port} on 127.0.0.1 is already in use (another salesdash serve?); stop it, or serve on another port: PORT=${port + 1} or --port ${port + 1}\n`,
  );
  t.equal(result.stdout, '');
});
