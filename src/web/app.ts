import { type Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { methodNotAllowed } from 'hono/method-not-allowed'
import { DatabaseUnavailableError } from '../db/db'
import { ASSET_PATHS, DEV_JS, SIGNUP_JS, SITE_CSS } from './assets'
import type { WebDeps } from './deps'
import { messagePage } from './layout'
import { confirmRoutes } from './routes/confirm'
import { devEmailRoutes } from './routes/dev-emails'
import { devInboxRoutes } from './routes/dev-inbox'
import { nextLessonRoutes } from './routes/next-lesson'
import { preferencesRoutes } from './routes/preferences'
import { signupRoutes } from './routes/signup'
import { unsubscribeRoutes } from './routes/unsubscribe'
import { securityHeaders } from './security'

const isApiPath = (path: string) => path.startsWith('/api/')

/** A problem document (RFC 9457) for the API's paths that no API route answered. */
function apiProblem(c: Context, status: 404 | 405 | 413, title: string, detail: string): Response {
  return c.body(JSON.stringify({ type: 'about:blank', title, status, detail }), status, {
    'Content-Type': 'application/problem+json',
  })
}

/** Request bodies above this are refused (413) before they are read. */
export const BODY_LIMIT_BYTES = 16 * 1024

/**
 * The HTTP app. Tests call `app.request(...)` directly (no port); `npm start` serves it with
 * @hono/node-server.
 */
export function createWebApp(deps: WebDeps, extra: ((app: Hono, deps: WebDeps) => void)[] = []): Hono {
  const app = new Hono()
  const site = deps.config.mail.courseName
  app.use('*', securityHeaders({ hsts: deps.config.env === 'production' }))
  // A path that exists answers other methods with 405 and the Allow header (RFC 9110), from the routes.
  app.use(
    '*',
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) => {
        const allow = methods.join(', ')
        c.header('Allow', allow)
        if (isApiPath(c.req.path))
          return apiProblem(c, 405, 'Method not allowed', `This address answers ${allow} only.`)
        return c.html(messagePage(site, 'Method not allowed', `This address answers ${allow} only.`), 405)
      },
    }),
  )
  const tooLarge = (c: Context) =>
    isApiPath(c.req.path)
      ? apiProblem(c, 413, 'Too much data', 'The body is larger than this API accepts (16 KB).')
      : c.html(
          messagePage(site, 'Too much data', 'That request was larger than this site accepts (16 KB).'),
          413,
        )
  const countedLimit = bodyLimit({ maxSize: BODY_LIMIT_BYTES, onError: tooLarge })
  app.use('*', async (c, next) => {
    // A body that states its length is judged by it, as hono/body-limit itself does, but before the
    // body is touched: on @hono/node-server, reading `raw.body` builds a whole fetch Request (a fifth
    // of a signup's time in HTTP), and a GET or HEAD has no body at all. Bodies sent in chunks go
    // through hono/body-limit, which counts what arrives.
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    const length = c.req.header('content-length')
    if (length !== undefined && c.req.header('transfer-encoding') === undefined)
      return Number.parseInt(length, 10) > BODY_LIMIT_BYTES ? tooLarge(c) : next()
    return countedLimit(c, next)
  })

  app.get(ASSET_PATHS.css, (c) => {
    c.header('Cache-Control', 'public, max-age=31536000, immutable')
    return c.body(SITE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' })
  })
  app.get(ASSET_PATHS.js, (c) => {
    c.header('Cache-Control', 'public, max-age=31536000, immutable')
    return c.body(SIGNUP_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' })
  })
  app.get(ASSET_PATHS.devJs, (c) => {
    c.header('Cache-Control', 'public, max-age=31536000, immutable')
    return c.body(DEV_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' })
  })
  app.get('/healthz', async (c) => {
    try {
      await deps.db.query('select 1')
      return c.json({ ok: true })
    } catch (error) {
      deps.logger.error({ err: error }, 'health check: database unreachable')
      return c.json({ ok: false, error: 'database unreachable' }, 503)
    }
  })

  signupRoutes(app, deps)
  confirmRoutes(app, deps)
  nextLessonRoutes(app, deps)
  unsubscribeRoutes(app, deps)
  preferencesRoutes(app, deps)
  devInboxRoutes(app, deps)
  devEmailRoutes(app, deps)
  for (const add of extra) add(app, deps)

  app.notFound((c) =>
    isApiPath(c.req.path)
      ? apiProblem(c, 404, 'Not found', 'There is no such operation; see /api/v1/docs.')
      : c.html(messagePage(site, 'Page not found', 'There is nothing at this address.'), 404),
  )
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse()
    if (error instanceof DatabaseUnavailableError) {
      // The request in flight is lost with the connection; the pool reconnects for the next one.
      deps.logger.warn({ path: c.req.path, err: error.cause }, 'database unavailable; answered 503')
      c.header('Retry-After', '5')
      const message = 'The service is briefly unavailable. Please try again in a few seconds.'
      if ((c.req.header('content-type') ?? '').includes('application/json'))
        return c.json({ ok: false, error: message }, 503)
      return c.html(messagePage(site, 'Briefly unavailable', message), 503)
    }
    deps.logger.error({ err: error, path: c.req.path }, 'request failed')
    return c.html(
      messagePage(site, 'Something went wrong', 'Sorry, that did not work. Please try again in a moment.'),
      500,
    )
  })
  return app
}
