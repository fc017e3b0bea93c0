// Worker entry in plain JavaScript: a worker thread does not inherit the TypeScript loader that tsx registered
// in the main thread, so it registers it itself (as bin/salesdash.js does) before loading the real worker.
import { register } from 'tsx/esm/api';

register();
await import('./simulate-worker.ts');
