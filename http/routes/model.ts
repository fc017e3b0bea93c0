// /api/model/metrics: how good the current purchase-probability model is, as stored by the training run that
// published it; 503 while no training has been published.
import type { FastifyInstance } from 'fastify';
import type { Sql } from '../../db/connection.ts';
import { ModelMetrics, errorResponses, notModifiedResponse, unavailableResponse } from '../../contract/api.ts';
import { Unavailable } from '../plugins/errors.ts';
import { modelMetrics } from '../queries/model-metrics.ts';
import { inTime } from '../plugins/deadline.ts';
import { notModified } from '../plugins/caching.ts';

export async function modelRoutes(app: FastifyInstance, { sql }: { sql: Sql }): Promise<void> {
  app.get(
    '/api/model/metrics',
    {
      config: { cacheable: true },
      schema: {
        summary: "The purchase model's holdout evaluation, baselines and curves",
        tags: ['model'],
        response: {
          200: ModelMetrics,
          ...notModifiedResponse,
          500: errorResponses[500],
          ...unavailableResponse,
        },
      },
    },
    async (request, reply) => {
      if (notModified(request)) return reply.code(304).send();
      const metrics = await inTime(request, () => modelMetrics(sql));
      if (!metrics) throw new Unavailable('Model unavailable');
      return metrics;
    },
  );
}
