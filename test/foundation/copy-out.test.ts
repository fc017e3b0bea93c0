// COPY ... TO STDOUT that fails before its first rows (as when an export is cancelled while it sorts) reports
// its error to the caller; through a plain `await query.readable()` the error fires before anyone listens
// and ends the process.
import t from 'tap';
import { copyOutStream } from '../../db/copy-out.ts';
import { testDatabase } from '../helpers/db.ts';

t.test('a COPY that fails before its first rows reports its error instead of ending the process', async (t) => {
  const { sql } = await testDatabase(t);
  // Several times: the first COPY on a new connection can arrive in two reads, later ones in one.
  for (let attempt = 1; attempt <= 4; attempt++) {
    const heard: unknown[] = [];
    const failed = sql.begin(async (tx) => {
      const copy = await copyOutStream(tx`copy (select 1 / (g - 2) from generate_series(1, 3) g) to stdout`, (error) =>
        heard.push(error),
      );
      await new Promise<void>((resolve) => (copy.closed ? resolve() : copy.once('close', () => resolve())));
      throw heard[0] ?? new Error('COPY closed without an error');
    });
    await t.rejects(failed, { code: '22012' }, `attempt ${attempt}: the transaction fails with the COPY's error`);
    t.equal(heard.length, 1, `attempt ${attempt}: the error was heard once`);
  }
});

t.test('a COPY that succeeds streams every row', async (t) => {
  const { sql } = await testDatabase(t);
  const text = await sql.begin(async (tx) => {
    const copy = await copyOutStream(tx`copy (select g from generate_series(1, 50000) g) to stdout`, (error) => {
      throw error;
    });
    const chunks: Buffer[] = [];
    for await (const chunk of copy) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  });
  t.equal(text.split('\n').length - 1, 50_000);
  t.equal(text.slice(0, 6), '1\n2\n3\n');
});
