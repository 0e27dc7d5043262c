import type { z } from '@hono/zod-openapi'
import type { Scope } from '../../access/keys'
import { requireScope } from './guard'
import { ProblemSchema, type ProblemStatus } from './problems'

/** Helpers that describe requests and answers once, for both validation and the OpenAPI document. */

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } }
}

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } }
}

const DESCRIPTIONS: Record<ProblemStatus, string> = {
  400: 'Malformed request (JSON, cursor or header)',
  401: 'Missing, unknown or revoked API key',
  403: 'The key lacks the scope this operation needs',
  404: 'No such subscriber or enrolment',
  409: 'The subscriber is in a state that does not allow it, or the same Idempotency-Key is still running',
  413: 'The body is larger than 16 KB',
  422: 'Invalid input: each bad field is named in `errors` (or the Idempotency-Key was used with another body)',
  429: 'Rate limit for this key reached: see Retry-After',
  503: 'The database is unavailable; retry later',
}

export function errorResponses<S extends ProblemStatus>(...statuses: S[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: DESCRIPTIONS[status],
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    ]),
  ) as Record<
    S,
    { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }
  >
}

/** The security scheme's name in the document. */
export const KEY_SCHEME = 'apiKey'

/** A route that needs `scope`: checked before its input, and named in the document (OpenAPI 3.1 roles). */
export function scoped(scope: Scope) {
  return { middleware: [requireScope(scope)], security: [{ [KEY_SCHEME]: [scope] }] }
}

/** A route any valid key may call. */
export const anyKey = { security: [{ [KEY_SCHEME]: [] as string[] }] }
