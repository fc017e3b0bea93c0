// The command table. Each command lives in its own module.
import type { Command } from '../command.ts';
import { db } from './db.ts';
import { demoCommand } from './demo.ts';
import { generateCommand } from './generate.ts';
import { historyCommand } from './history.ts';
import { importCommand } from './import.ts';
import { migrateCommand } from './migrate.ts';
import { refreshCommand } from './refresh.ts';
import { resetCommand } from './reset.ts';
import { serveCommand } from './serve.ts';
import { trainCommand } from './train.ts';

export const commands: Record<string, Command> = {
  db,
  demo: demoCommand,
  generate: generateCommand,
  history: historyCommand,
  import: importCommand,
  migrate: migrateCommand,
  refresh: refreshCommand,
  reset: resetCommand,
  serve: serveCommand,
  train: trainCommand,
};
