// /api/model/metrics: how good the purchase-probability model is, as stored by the last training run.
import type { FastifyInstance } from 'fastify';
import type { Sql } from '../../db/connection.ts';
import { Unavailable } from '../plugins/errors.ts';
import { modelMetrics } from '../queries/model-metrics.ts';
import { inTime } from '../plugins/deadline.ts';
import { errorResponses, notModifiedResponse, unavailableResponse } from './schemas.ts';

const rates = {
  type: 'object',
  additionalProperties: true,
  properties: {
    roc_auc: { type: 'number' },
    pr_auc: { type: 'number' },
    brier_score: { type: 'number' },
    accuracy: { type: 'number' },
    precision: { type: 'number' },
    recall: { type: 'number' },
    f1_score: { type: 'number' },
  },
} as const;

// The body is the training run's JSON as stored; listing the known fields documents them, and
// additionalProperties lets fields the model adds later through unchanged.
const metricsSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['accuracy', 'f1_score', 'precision', 'recall', 'confusion_matrix', 'model_trained_date', 'training_samples'],
  properties: {
    accuracy: { type: 'number' },
    f1_score: { type: 'number' },
    precision: { type: 'number' },
    recall: { type: 'number' },
    confusion_matrix: {
      type: 'object',
      additionalProperties: true,
      properties: {
        true_positive: { type: 'integer' },
        true_negative: { type: 'integer' },
        false_positive: { type: 'integer' },
        false_negative: { type: 'integer' },
      },
    },
    model_trained_date: { type: 'string', format: 'date' },
    training_samples: { type: 'integer' },
    roc_auc: { type: 'number' },
    pr_auc: { type: 'number' },
    brier_score: { type: 'number' },
    base_rate: { type: 'number' },
    threshold: { type: 'number' },
    threshold_method: { type: 'string' },
    horizon_days: { type: 'integer' },
    backend: { type: 'string' },
    holdout: { type: 'object', additionalProperties: true },
    baselines: { type: 'object', additionalProperties: true, properties: { recency: rates, bgnbd: rates } },
    curves: { type: 'object', additionalProperties: true },
    probability_histogram: { type: 'object', additionalProperties: true },
  },
} as const;

export async function modelRoutes(app: FastifyInstance, { sql }: { sql: Sql }): Promise<void> {
  app.get(
    '/api/model/metrics',
    {
      config: { cacheable: true },
      schema: {
        summary: "The purchase model's holdout evaluation, baselines and curves",
        tags: ['model'],
        response: {
          200: metricsSchema,
          ...notModifiedResponse,
          500: errorResponses[500],
          ...unavailableResponse,
        },
      },
    },
    async (request) => {
      const metrics = await inTime(request, () => modelMetrics(sql));
      if (!metrics) throw new Unavailable('Model unavailable');
      return metrics;
    },
  );
}
