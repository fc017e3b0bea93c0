// Absolute paths of the project's own folders, so commands work from any working directory.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)));
export const migrationsDir = path.join(projectRoot, 'db', 'migrations');
export const webDistDir = path.join(projectRoot, 'web', 'dist');
