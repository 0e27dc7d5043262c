import type { Context, Hono, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { ADMIN_ACTOR, recordAudit } from '../../audit/log'
import { tableToCsv } from '../../stats/csv'
import { readOverview } from '../../stats/overview'
import { DEFAULT_DAYS, MAX_DAYS, readStats } from '../../stats/report'
import { isStatsTable, STATS_TABLES, statsTable } from '../../stats/tables'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'
import { clientIp, sameOriginPosts } from '../security'
import { ADMIN_ASSETS, ADMIN_CSS, ADMIN_JS } from './assets'
import { auditRoutes } from './audit'
import { adminTokenChecker, bearerToken } from './auth'
import { courseRoutes } from './courses'
import { overviewBody } from './dashboard'
import { healthRoutes } from './health'
import { type Admin, type AdminTools, adminPage } from './layout'
import { newsletterRoutes } from './newsletters'
import { readerRoutes } from './reader-actions'
import { readerListRoutes } from './readers'
import {
  ADMIN_SESSION_MS,
  adminTokenTag,
  endAdminSession,
  openAdminSession,
  touchAdminSession,
} from './sessions'
import { webhookEndpointRoutes } from './webhooks'

/** The login cookie: a random session id. Path=/admin keeps it off every other request. */
export const ADMIN_COOKIE = 'course_admin'

function loginPage(site: string, error?: string): string {
  return page({
    title: 'Admin login',
    siteName: site,
    body: html`<h1>Course dashboard</h1>
<form method="post" action="/admin/login" class="card">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required${error ? html` aria-invalid="true" aria-describedby="token-error"` : ''}>
${error ? html`<p id="token-error" class="error">${error}</p>` : ''}
<button type="submit">Log in</button>
</form>
<p class="muted">The token is the ADMIN_TOKEN setting of this server. Scripts may send it as <code>Authorization: Bearer …</code> instead.</p>`,
  })
}

const privateAnswer = (c: Context) => {
  c.header('Cache-Control', 'no-store')
  c.header('X-Robots-Tag', 'noindex, nofollow')
}

const wantsPage = (c: Context) => (c.req.header('accept') ?? '').includes('text/html')

const retryAfter = (c: Context, ms: number) => c.header('Retry-After', String(Math.ceil(ms / 1000)))

/**
 * The admin with its tools: `createWebApp(deps, [..., adminRoutesWith({ mailer })])`. Without the
 * mailer everything works but "send a test to …", which says so.
 */
export function adminRoutesWith(tools: AdminTools): (app: Hono, deps: WebDeps) => void {
  return (app, deps) => mountAdmin(app, deps, tools)
}

/** The admin without extra tools (test copies of an issue switched off). */
export const adminRoutes: (app: Hono, deps: WebDeps) => void = adminRoutesWith({})

/**
 * /admin, behind ADMIN_TOKEN sent as a bearer token or through the login form: the overview, readers,
 * newsletters, courses, sending health and the audit log, plus `/admin/stats.csv?table=…` and
 * `/admin/stats.json`. The form opens a session kept in the database (see sessions.ts) and sets an
 * HttpOnly, SameSite=Strict cookie holding only its random id, so logging out ends it in every web
 * process. Every POST under /admin is refused unless it comes from this site's own pages (CSRF), and
 * every action on a reader or a send is recorded in the audit log. Without ADMIN_TOKEN it is off.
 */
function mountAdmin(app: Hono, deps: WebDeps, tools: AdminTools): void {
  const site = deps.config.mail.courseName
  const token = deps.config.adminToken

  if (!token) {
    const disabled = (c: Context) => {
      privateAnswer(c)
      const message = 'The admin dashboard is disabled: set ADMIN_TOKEN (16 characters or more) to enable it.'
      return wantsPage(c)
        ? c.html(messagePage(site, 'Dashboard disabled', message), 503)
        : c.json({ error: message }, 503)
    }
    app.all('/admin', disabled)
    app.all('/admin/*', disabled)
    return
  }

  const cookie = {
    httpOnly: true,
    sameSite: 'Strict',
    secure: deps.config.baseUrl.startsWith('https://'),
    path: '/admin',
  } as const
  const tokenTag = adminTokenTag(deps.config.secret, token)
  const checkToken = adminTokenChecker(token)
  const client = (c: Context) => clientIp(c, deps.config.web.trustProxy)

  const denied = (c: Context) => {
    if (c.req.header('authorization') !== undefined || !wantsPage(c)) {
      c.header('WWW-Authenticate', 'Bearer realm="admin"')
      return c.json({ error: 'Missing or wrong admin token.' }, 401)
    }
    return c.html(loginPage(site), 401)
  }

  /** Every /admin route but the login form: a right bearer token or a live session. */
  const requireAdmin: MiddlewareHandler = async (c, next) => {
    if (c.req.path === '/admin/login') return next()
    privateAnswer(c)
    const now = deps.clock.now()
    const bearer = bearerToken(c.req.header('authorization'))
    if (bearer !== undefined) {
      const verdict = checkToken(bearer, client(c) ?? 'unknown', now)
      if (verdict.ok) return next()
      if (verdict.retryAfterMs === 0) return denied(c)
      retryAfter(c, verdict.retryAfterMs)
      return c.json({ error: 'Too many wrong admin tokens. Please wait a few minutes.' }, 429)
    }
    if (await touchAdminSession(deps.db, getCookie(c, ADMIN_COOKIE), tokenTag, now)) return next()
    return denied(c)
  }

  // Every state-changing form under /admin (login, logout and every action) must come from our pages.
  app.use('/admin/*', sameOriginPosts(site, deps.config.baseUrl, privateAnswer))
  app.use('/admin/*', requireAdmin) // matches /admin itself too

  const admin: Admin = {
    deps,
    tools,
    site,
    now: () => deps.clock.now(),
    audit: (record) => recordAudit(deps.db, { ...record, actor: ADMIN_ACTOR }, deps.clock.now()),
  }
  const asset = (body: string, type: string) => (c: Context) => {
    c.header('Cache-Control', 'private, max-age=31536000, immutable')
    return c.body(body, 200, { 'Content-Type': type })
  }
  app.get(ADMIN_ASSETS.css, asset(ADMIN_CSS, 'text/css; charset=utf-8'))
  app.get(ADMIN_ASSETS.js, asset(ADMIN_JS, 'text/javascript; charset=utf-8'))

  const days = (c: Context) => {
    const value = Number(c.req.query('days'))
    return Number.isInteger(value) && value >= 1 && value <= MAX_DAYS ? value : DEFAULT_DAYS
  }
  /** The course the figures are narrowed to (`?course=`), when it names one; otherwise every course. */
  const course = (c: Context) => {
    const value = c.req.query('course')
    return deps.content().courses.some((k) => k.slug === value) ? value : undefined
  }
  const report = (c: Context) =>
    readStats(deps.db, deps.content(), deps.clock.now(), { days: days(c), course: course(c) })

  app.get('/admin', async (c) => {
    const [overview, stats] = await Promise.all([readOverview(deps.db, deps.clock.now()), report(c)])
    return c.html(
      adminPage({
        site,
        title: 'Overview',
        section: 'overview',
        body: overviewBody(overview, stats, deps.content().courses),
      }),
    )
  })

  // The report's figures, with the headline numbers beside them (`overview`).
  app.get('/admin/stats.json', async (c) => {
    const [stats, overview] = await Promise.all([report(c), readOverview(deps.db, deps.clock.now())])
    return c.json({ ...stats, overview })
  })

  app.get('/admin/stats.csv', async (c) => {
    const name = c.req.query('table')
    if (!isStatsTable(name))
      return c.json({ error: `Unknown table; choose one of: ${STATS_TABLES.join(', ')}.` }, 400)
    const stats = await report(c)
    return c.body(tableToCsv(statsTable(stats, name)), 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${name}-${stats.range.to}.csv"`,
    })
  })

  readerListRoutes(app, admin)
  readerRoutes(app, admin)
  newsletterRoutes(app, admin)
  courseRoutes(app, admin)
  healthRoutes(app, admin)
  webhookEndpointRoutes(app, admin)
  auditRoutes(app, admin)

  app.post('/admin/login', async (c) => {
    privateAnswer(c)
    const body = await c.req.parseBody()
    const presented = typeof body.token === 'string' ? body.token.trim() : ''
    const now = deps.clock.now()
    const verdict = checkToken(presented, client(c) ?? 'unknown', now)
    if (!verdict.ok && verdict.retryAfterMs > 0) {
      retryAfter(c, verdict.retryAfterMs)
      return c.html(loginPage(site, 'Too many attempts. Please wait a few minutes.'), 429)
    }
    if (!verdict.ok) {
      deps.logger.warn({ ip: client(c) }, 'admin login refused')
      return c.html(loginPage(site, 'That token is not right.'), 401)
    }
    const id = await openAdminSession(deps.db, { tokenTag, now, ip: client(c) })
    setCookie(c, ADMIN_COOKIE, id, { ...cookie, maxAge: ADMIN_SESSION_MS / 1000 })
    return c.redirect('/admin', 303)
  })

  app.post('/admin/logout', async (c) => {
    await endAdminSession(deps.db, getCookie(c, ADMIN_COOKIE), deps.clock.now())
    deleteCookie(c, ADMIN_COOKIE, cookie)
    return c.redirect('/admin', 303)
  })
}
