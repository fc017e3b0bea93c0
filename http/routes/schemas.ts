// JSON schemas shared by the route areas. Every route declares its request and every response it can
// give, so the OpenAPI document at /docs/json is complete and fast-json-stringify serialises the bodies.
import { MAX_ID_LENGTH, MAX_LIMIT, MAX_PAGE, SORT_KEYS } from '../plugins/errors.ts';

export const errorBody = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' } },
} as const;

const described = (description: string) => ({ ...errorBody, description });

export const errorResponses = {
  400: described('A parameter is missing or not valid; the message names it.'),
  404: described('Unknown customer or route.'),
  500: described('Database failure or bug; details are only in the server log.'),
} as const;

export const unavailableResponse = { 503: described('No trained model yet.') } as const;

export const exportsBusyResponse = {
  503: {
    ...described('As many CSV exports as allowed (SALESDASH_MAX_EXPORTS) are running; try again after Retry-After.'),
    headers: { 'Retry-After': { type: 'integer', description: 'Seconds to wait before trying again.' } },
  },
} as const;

export const notModifiedResponse = {
  304: { description: 'Not modified: the ETag sent in If-None-Match is still current.', type: 'null' },
} as const;

/** Free text that is compared with data, never run: bounded in length and free of control characters. */
export const textParameter = (maxLength: number, description: string) =>
  ({ type: 'string', minLength: 1, maxLength, pattern: '^[^\\u0000-\\u001f\\u007f]*$', description }) as const;

export const segmentParameter = {
  type: 'string',
  maxLength: 100,
  pattern: '^[^\\u0000-\\u001f\\u007f]*$',
  description: 'Only customers of this segment (a name from GET /api/customers/segments). Empty or absent: all.',
} as const;

export const rfmFilterProperties = {
  segment: segmentParameter,
  sort_by: { type: 'string', enum: SORT_KEYS, default: 'monetary', description: 'Column to sort by.' },
  order: { type: 'string', enum: ['asc', 'desc'], default: 'desc', description: 'Sort direction; ties are broken by customer_id in the same direction.' },
} as const;

export const pagingProperties = {
  limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 100, description: 'Rows per page.' },
  page: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 1, description: 'Page number, from 1.' },
} as const;

export const customerIdParameter = textParameter(
  MAX_ID_LENGTH,
  'The person (customer_unique_id) or, for Olist data, any of their order-level customer_ids.',
);

export const rfmRow = {
  type: 'object',
  required: ['customer_id', 'recency', 'frequency', 'monetary', 'segment', 'rfm_score'],
  properties: {
    customer_id: { type: 'string' },
    recency: { type: 'integer', description: 'Days since the last purchase, at the reference date.' },
    frequency: { type: 'integer', description: 'Counted orders.' },
    monetary: { type: 'number', description: 'Revenue of counted orders (price + freight).' },
    segment: { type: 'string' },
    rfm_score: { type: 'integer' },
  },
} as const;
