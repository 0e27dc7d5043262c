import type { Context, Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { tableToCsv } from '../../stats/csv'
import { dashboardBody } from '../../stats/dashboard'
import { DEFAULT_DAYS, MAX_DAYS, readStats } from '../../stats/report'
import { isStatsTable, STATS_TABLES, statsTable } from '../../stats/tables'
import {
  ADMIN_SESSION_MS,
  bearerToken,
  createSessionValue,
  secretsMatch,
  verifySessionValue,
} from '../admin-auth'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'
import { clientIp, RateLimiter } from '../security'

/** The login cookie. Path=/admin keeps it off every other request. */
export const ADMIN_COOKIE = 'course_admin'

/** Login attempts per client address in {@link LOGIN_WINDOW_MS}: guessing stays slow. */
const LOGIN_ATTEMPTS = 10
const LOGIN_WINDOW_MS = 15 * 60 * 1000

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

/**
 * /admin: the dashboard, `/admin/stats.csv?table=…` and `/admin/stats.json`, behind ADMIN_TOKEN sent
 * as a bearer token or through the login form, which sets an HttpOnly, SameSite=Strict cookie holding
 * an HMAC of the token (never the token). Without ADMIN_TOKEN the dashboard is switched off.
 * Login and logout are POSTs accepted only from this site's own pages (Origin check, CSRF).
 */
export function adminRoutes(app: Hono, deps: WebDeps): void {
  const site = deps.config.mail.courseName
  const token = deps.config.adminToken
  const origin = new URL(deps.config.baseUrl).origin
  const secure = deps.config.baseUrl.startsWith('https://')
  const limiter = new RateLimiter(LOGIN_ATTEMPTS, LOGIN_WINDOW_MS)

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

  const authorized = (c: Context): boolean => {
    const bearer = bearerToken(c.req.header('authorization'))
    if (bearer !== undefined) return secretsMatch(bearer, token)
    return verifySessionValue(deps.config.secret, token, getCookie(c, ADMIN_COOKIE), deps.clock.now())
  }
  const denied = (c: Context) => {
    privateAnswer(c)
    if (c.req.header('authorization') !== undefined || !wantsPage(c)) {
      c.header('WWW-Authenticate', 'Bearer realm="admin"')
      return c.json({ error: 'Missing or wrong admin token.' }, 401)
    }
    return c.html(loginPage(site), 401)
  }
  // Browsers send Origin with every form POST; Sec-Fetch-Site covers the odd one that does not.
  const fromOurPages = (c: Context) => {
    const sent = c.req.header('origin')
    return sent !== undefined ? sent === origin : c.req.header('sec-fetch-site') === 'same-origin'
  }
  const days = (c: Context) => {
    const value = Number(c.req.query('days'))
    return Number.isInteger(value) && value >= 1 && value <= MAX_DAYS ? value : DEFAULT_DAYS
  }
  const report = (c: Context) => readStats(deps.db, deps.content(), deps.clock.now(), { days: days(c) })

  app.get('/admin', async (c) => {
    if (!authorized(c)) return denied(c)
    privateAnswer(c)
    return c.html(
      page({ title: 'Dashboard', siteName: site, wide: true, body: dashboardBody(await report(c)) }),
    )
  })

  app.get('/admin/stats.json', async (c) => {
    if (!authorized(c)) return denied(c)
    privateAnswer(c)
    return c.json(await report(c))
  })

  app.get('/admin/stats.csv', async (c) => {
    if (!authorized(c)) return denied(c)
    privateAnswer(c)
    const name = c.req.query('table')
    if (!isStatsTable(name))
      return c.json({ error: `Unknown table; choose one of: ${STATS_TABLES.join(', ')}.` }, 400)
    const stats = await report(c)
    return c.body(tableToCsv(statsTable(stats, name)), 200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${name}-${stats.range.to}.csv"`,
    })
  })

  app.post('/admin/login', async (c) => {
    privateAnswer(c)
    if (!fromOurPages(c)) return c.html(messagePage(site, 'Not allowed', 'Log in from the login page.'), 403)
    const now = deps.clock.now()
    const wait = limiter.hit(clientIp(c, deps.config.web.trustProxy) ?? 'unknown', now.getTime())
    if (wait > 0) {
      c.header('Retry-After', String(Math.ceil(wait / 1000)))
      return c.html(loginPage(site, 'Too many attempts. Please wait a few minutes.'), 429)
    }
    const body = await c.req.parseBody()
    const presented = typeof body.token === 'string' ? body.token.trim() : ''
    if (!secretsMatch(presented, token)) {
      deps.logger.warn({ ip: clientIp(c, deps.config.web.trustProxy) }, 'admin login refused')
      return c.html(loginPage(site, 'That token is not right.'), 401)
    }
    setCookie(c, ADMIN_COOKIE, createSessionValue(deps.config.secret, token, now), {
      httpOnly: true,
      sameSite: 'Strict',
      secure,
      path: '/admin',
      maxAge: ADMIN_SESSION_MS / 1000,
    })
    return c.redirect('/admin', 303)
  })

  app.post('/admin/logout', (c) => {
    privateAnswer(c)
    if (!fromOurPages(c)) return c.html(messagePage(site, 'Not allowed', 'Log out from the dashboard.'), 403)
    deleteCookie(c, ADMIN_COOKIE, { path: '/admin', secure, httpOnly: true, sameSite: 'Strict' })
    return c.redirect('/admin', 303)
  })
}
