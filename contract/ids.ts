// The one rule for ids (customer, person, order, product and seller ids, category names): the importers store
// only ids the API can look up, and the API's parameter schema is built from the same constants.
//
// Length is counted in UTF-16 code units (JavaScript's `length`), the unit the router's maxParamLength uses on
// the decoded path parameter; a character outside the Basic Multilingual Plane (an emoji) counts twice. 128
// units are at most 512 bytes of UTF-8, far below PostgreSQL's B-tree entry limit (about 2700 bytes).
export const MAX_ID_LENGTH = 128;

/** JSON-schema pattern (ajv compiles it with the `u` flag): no control character U+0000-U+001F or U+007F. */
export const ID_PATTERN = '^[^\\u0000-\\u001f\\u007f]*$';

/** The JSON schema of an id as a request parameter. */
export const idSchema = { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH, pattern: ID_PATTERN } as const;

const withoutControlCharacters = new RegExp(ID_PATTERN, 'u');

/**
 * Why `id` cannot be an id, or null when it can. Besides the schema, "." and ".." are refused: URL parsers
 * (browsers, fetch) resolve them as path segments, even percent-encoded, so /api/customers/../details never
 * reaches the API with that id.
 */
export function idProblem(id: string): string | null {
  if (id.length === 0) return 'is empty';
  if (id.length > MAX_ID_LENGTH) return `is too long (an id has at most ${MAX_ID_LENGTH} characters)`;
  if (!withoutControlCharacters.test(id)) return 'contains a control character (U+0000-U+001F and U+007F are not allowed in ids)';
  if (id === '.' || id === '..') return 'cannot be an id ("." and ".." cannot be addressed in a URL)';
  return null;
}
