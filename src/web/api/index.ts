import { OpenAPIHono } from '@hono/zod-openapi'
import type { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { SCOPES, saveIdempotent } from '../../access/keys'
import { DatabaseUnavailableError } from '../../db/db'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { catalogRoutes } from './catalog-routes'
import { type Doc, referencePage } from './docs'
import { enrolmentRoutes } from './enrolment-routes'
import { type ApiEnv, idempotent, requireKey } from './guard'
import { problem } from './problems'
import { KEY_SCHEME } from './spec'
import { subscriberRoutes } from './subscriber-routes'

/** Where the API lives; the version is part of the path. */
export const API_BASE = '/api/v1'

/** Paths that need a key (`/subscribers/*` covers `/subscribers` too); the document and its reference page are public. */
const GUARDED = ['/subscribers/*', '/courses', '/stats']

/** Mounts the HTTP API at /api/v1 (an extra route set for createWebApp). */
export function apiRoutes(app: Hono, deps: WebDeps): void {
  app.route(API_BASE, createApi(deps))
}

/**
 * The API: every request and answer is described by the zod schemas that validate it, and the OpenAPI
 * 3.1 document is generated from them. Bad input answers application/problem+json naming each field.
 */
export function createApi(deps: WebDeps): OpenAPIHono<ApiEnv> {
  const { db, clock } = deps
  const api = new OpenAPIHono<ApiEnv>({
    defaultHook: (result, c) => {
      if (result.success) return
      const errors = result.error.issues.map((issue) => ({
        field: issue.path.length > 0 ? issue.path.join('.') : 'body',
        message: issue.message,
      }))
      return problem(
        c,
        422,
        'Invalid request',
        errors.map((e) => `${e.field}: ${e.message}`).join('; '),
        errors,
      )
    },
  })
  api.openAPIRegistry.registerComponent('securitySchemes', KEY_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description: `An API key from \`course keys create\`. Scopes: ${SCOPES.join(', ')}.`,
  })
  const guard = requireKey({ db, clock, rateLimit: deps.config.api.rateLimit })
  const once = idempotent({
    db,
    clock,
    save: (entry) => saveIdempotent(db, entry, clock.now()),
  })
  for (const path of GUARDED) {
    api.use(path, guard)
    api.use(path, once)
  }
  subscriberRoutes(api, deps)
  enrolmentRoutes(api, deps)
  catalogRoutes(api, deps)

  const document = () =>
    api.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: `${deps.config.mail.courseName} API`,
        version: '1',
        description:
          'Add and manage subscribers and their courses, and read the figures. JSON in and out; errors are application/problem+json (RFC 9457). Every POST and DELETE honours an Idempotency-Key header for a day. Lists page with `cursor`. Each key may make a limited number of requests a minute (RateLimit and Retry-After headers).',
      },
      servers: [{ url: `${deps.config.baseUrl}${API_BASE}` }],
    })
  api.get('/openapi.json', (c) => c.json(document()))
  api.get('/docs', (c) =>
    c.html(
      referencePage(
        document() as unknown as Doc,
        deps.config.mail.courseName,
        html`<p>Send <code>Authorization: Bearer &lt;key&gt;</code> with every request (make a key with <code>course keys create</code>). The machine-readable description is at <a href="${API_BASE}/openapi.json"><code>${API_BASE}/openapi.json</code></a>.</p>
<h2 id="problems">Errors</h2>
<p>Every error is <code>application/problem+json</code> with <code>title</code>, <code>status</code>, <code>detail</code> and, for bad input, <code>errors</code>: one <code>{ field, message }</code> per field that is wrong. Nothing is saved from a request that is refused.</p>`,
      ),
    ),
  )

  api.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 400)
      return problem(
        c,
        400,
        'Malformed request',
        'The body is not valid JSON (send Content-Type: application/json).',
      )
    if (error instanceof DatabaseUnavailableError) {
      deps.logger.warn({ path: c.req.path, err: error.cause }, 'database unavailable; answered 503')
      c.header('Retry-After', '5')
      return problem(c, 503, 'Briefly unavailable', 'The database is unavailable; retry in a few seconds.')
    }
    if (error instanceof HTTPException) return error.getResponse()
    deps.logger.error({ err: error, path: c.req.path }, 'api request failed')
    return c.body(
      JSON.stringify({
        type: 'about:blank',
        title: 'Internal error',
        status: 500,
        detail: 'Something went wrong; it was logged.',
      }),
      500,
      { 'Content-Type': 'application/problem+json' },
    )
  })
  return api
}
