import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'

/** RFC 9457 problem details, as every API error is answered. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'https://course.example.org/api/v1/docs#problems' }),
    title: z.string().openapi({ example: 'Invalid request' }),
    status: z.number().int().openapi({ example: 422 }),
    detail: z.string().openapi({ example: 'email: not a valid email address' }),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'Each field that is wrong, and what is wrong with it.' }),
  })
  .openapi('Problem')

export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 503

/** Answers with a problem document: what is wrong, and for bad input, each field. */
export function problem<S extends ProblemStatus>(
  c: Context,
  status: S,
  title: string,
  detail: string,
  errors?: { field: string; message: string }[],
) {
  const body: z.infer<typeof ProblemSchema> = {
    type: `${new URL(c.req.url).origin}/api/v1/docs#problems`,
    title,
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  }
  // c.json keeps a Content-Type given here: RFC 9457's media type, with the answer typed for the route.
  return c.json(body, status, { 'Content-Type': 'application/problem+json' })
}

/** Field errors from a record (field → message), in a stable order. */
export function fieldErrors(
  errors: Record<string, string | undefined>,
): { field: string; message: string }[] {
  return Object.entries(errors)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([field, message]) => ({ field, message }))
}
