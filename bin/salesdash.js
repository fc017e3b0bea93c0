#!/usr/bin/env node
// The published entry point: load TypeScript sources through tsx so the CLI needs no build step.
import { register } from 'tsx/esm/api';
register();
await import('../cli/main.ts');
