// /healthz: for load balancers and people. 200 while PostgreSQL answers; 503 (same shape) when it does not.
import type { FastifyInstance } from 'fastify';
import type { Sql } from '../../db/connection.ts';
import { Health, HealthUnavailable } from '../../contract/api.ts';
import { health } from '../queries/health.ts';
import { inTime } from '../plugins/deadline.ts';

export async function healthRoutes(app: FastifyInstance, { sql }: { sql: Sql }): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Is the database reachable, is there a model',
        tags: ['operations'],
        response: { 200: Health, 503: HealthUnavailable },
      },
    },
    async (request, reply) => {
      try {
        return { status: 'ok', ...(await inTime(request, () => health(sql))) } satisfies Health;
      } catch (error) {
        request.log.warn({ err: error }, 'health check: database unreachable');
        return reply.code(503).send({ status: 'unavailable', database: false, model: false } satisfies HealthUnavailable);
      }
    },
  );
}
