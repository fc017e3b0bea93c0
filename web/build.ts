// Placeholder until the dashboard lands: the build step exists so `make run`/`make test` have one shape.
import { mkdirSync } from 'node:fs';
import { webDistDir } from '../server/paths.ts';
mkdirSync(webDistDir, { recursive: true });
