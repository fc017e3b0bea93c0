// Builds the HTTP app. It never listens (http/server.ts does), so tests drive it with app.inject against
// a real database and the CLI, the benchmark and the tests all run exactly the same routes.
import { existsSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import cors from '@fastify/cors';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import type { Sql } from '../db/connection.ts';
import { webDistDir } from '../paths.ts';
import { MAX_ID_LENGTH } from '../contract/ids.ts';
import { checkQueryShape, errorHandler } from './plugins/errors.ts';
import { dataVersionHook } from './plugins/caching.ts';
import { requestDeadlineMs } from './plugins/deadline.ts';
import { DatabaseAvailability } from './plugins/availability.ts';
import { Exports, type ExportOptions } from './plugins/exports.ts';
import { customerRoutes } from './routes/customers.ts';
import { movementRoutes } from './routes/movement.ts';
import { modelRoutes } from './routes/model.ts';
import { healthRoutes } from './routes/health.ts';
import { docsRoutes } from './routes/docs.ts';

export interface AppOptions {
  sql: Sql;
  /** The CSV export's own connections and limits (the database URL; max and maxSeconds from the environment). */
  exports: ExportOptions;
  /** A pino logger config or instance; false (the default for tests) logs nothing. */
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger;
  /** Comma-separated allowed origins, or '*'. Default (undefined/empty): same origin only, no CORS headers. */
  corsOrigin?: string;
  /** Folder of the built dashboard; served at / when it exists. */
  webDir?: string;
  /** Budget for one request's database work in ms (default SALESDASH_API_DEADLINE_MS or 3000). */
  deadlineMs?: number;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const logger = options.logger ?? false;
  const app = Fastify({
    ...(typeof logger === 'object' && 'child' in logger ? { loggerInstance: logger as FastifyBaseLogger } : { logger }),
    // Longer path parameters than any id we accept are answered by frameworkErrors below with a 400.
    routerOptions: { maxParamLength: MAX_ID_LENGTH },
    // Errors the router raises before any route runs get the same one-line JSON shape as everything else.
    frameworkErrors: (error, _request, reply) => {
      const message =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'customer_id is too long' : 'the request URL is not valid';
      void (reply as FastifyReply).code(400).send({ error: message });
    },
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    // Everything here is read-only: another method on a path that exists is 405 with what it answers, not 404.
    const path = request.url.split('?', 1)[0]!;
    if (request.method !== 'GET' && request.method !== 'HEAD' && app.findRoute({ method: 'GET', url: path })) {
      void reply.code(405).header('allow', 'GET, HEAD').send({ error: `${request.method} not allowed: ${path} answers GET and HEAD` });
      return;
    }
    void reply.code(404).send({ error: 'Not found' });
  });
  app.decorate('databaseAvailability', new DatabaseAvailability());
  const deadlineMs = options.deadlineMs ?? requestDeadlineMs();
  app.addHook('onRequest', async (request) => {
    request.databaseDeadline = Date.now() + deadlineMs;
  });
  app.addHook('preValidation', checkQueryShape);
  app.addHook('preHandler', dataVersionHook(options.sql));

  await app.register(cors, { origin: allowedOrigins(options.corsOrigin), methods: ['GET', 'HEAD'], exposedHeaders: ['ETag', 'Content-Disposition'] });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'salesdash API',
        description: 'RFM segments, customer lists and purchase predictions computed in PostgreSQL.',
        version: '0.1.0',
      },
    },
  });

  const exports = new Exports(options.exports);
  // Runs once in-flight requests are done (or cut by serve()'s drain): stopped exports close their sessions.
  app.addHook('onClose', () => exports.settled());
  await app.register(customerRoutes, { sql: options.sql, exports });
  await app.register(movementRoutes, { sql: options.sql });
  await app.register(modelRoutes, { sql: options.sql });
  await app.register(healthRoutes, { sql: options.sql });
  await app.register(docsRoutes);

  const webDir = options.webDir ?? webDistDir;
  if (existsSync(webDir)) {
    // wildcard: false registers one route per built file at start-up (restart after rebuilding the
    // dashboard). A catch-all route would swallow unknown paths and over-long ids, which must reach the
    // JSON 404 and the "customer_id is too long" 400.
    await app.register(fastifyStatic, { root: webDir, prefix: '/', wildcard: false, index: ['index.html'] });
  }
  return app;
}

/** CORS_ORIGIN: 'https://a.example,https://b.example' or '*'. Unset: the dashboard is same-origin, no CORS. */
export function allowedOrigins(setting: string | undefined): boolean | string[] {
  const origins = (setting ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  if (origins.length === 0) return false;
  if (origins.includes('*')) return true;
  return origins;
}
