import { createHash } from 'node:crypto'
import type { Hono } from 'hono'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { adminRoutes } from '../../src/web/admin/routes'
import { createWebApp } from '../../src/web/app'
import { archiveRoutes } from '../../src/web/routes/archive'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'

// Watch the comparison the admin check uses (the real function still does the work).
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) }
})
const { timingSafeEqual } = await import('node:crypto')

const TOKEN = 'admin-token-0123456789abcdef'
const ORIGIN = 'https://course.example.org'
/** What Chromium really sends with a form posted from our own page under `Referrer-Policy: no-referrer`. */
const CHROMIUM_SAME_ORIGIN = { origin: 'null', 'sec-fetch-site': 'same-origin' }

describe.each(ENGINES)('admin dashboard access (%s)', (engine) => {
  let h: Harness
  let app: Hono

  beforeEach(async () => {
    h = await createHarness({ engine, env: { ADMIN_TOKEN: TOKEN } })
    app = createWebApp(h.services.webDeps, [archiveRoutes, adminRoutes])
  })
  afterEach(async () => {
    await h.close()
  })

  const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers })
  const login = (token: string, headers: Record<string, string> = { origin: ORIGIN }) =>
    app.request('/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ token }).toString(),
    })
  const cookieOf = (response: Response) => response.headers.get('set-cookie')?.split(';')[0] ?? ''
  const logout = (cookie: string, headers: Record<string, string> = { origin: ORIGIN }) =>
    app.request('/admin/logout', { method: 'POST', headers: { cookie, ...headers } })

  it('answers 401 without a token: JSON for scripts, the login form for browsers', async () => {
    const api = await get('/admin')
    expect(api.status).toBe(401)
    expect(api.headers.get('www-authenticate')).toBe('Bearer realm="admin"')
    expect(await api.json()).toEqual({ error: 'Missing or wrong admin token.' })
    const browser = await get('/admin', { accept: 'text/html' })
    expect(browser.status).toBe(401)
    const page = await browser.text()
    expect(page).toContain('<form method="post" action="/admin/login"')
    expect(page).toContain('type="password"')
    expect(browser.headers.get('cache-control')).toBe('no-store')
  })

  it('answers 401 to a wrong bearer token, of any length, comparing in constant time', async () => {
    vi.mocked(timingSafeEqual).mockClear()
    for (const wrong of [`${TOKEN.slice(0, -1)}x`, 'short', `${TOKEN}-and-more`]) {
      const response = await get('/admin', { authorization: `Bearer ${wrong}` })
      expect(response.status).toBe(401)
    }
    expect(vi.mocked(timingSafeEqual)).toHaveBeenCalledTimes(3)
    for (const [a, b] of vi.mocked(timingSafeEqual).mock.calls)
      expect((a as Buffer).length).toBe((b as Buffer).length)
  })

  it('shows the dashboard to the right bearer token', async () => {
    const response = await get('/admin', { authorization: `Bearer ${TOKEN}` })
    expect(response.status).toBe(200)
    const page = await response.text()
    expect(page).toContain('<h1>Course dashboard</h1>')
    expect(page).toContain('role="img"')
    expect(page).toContain('Opens are unreliable')
    // The page CSP forbids inline styles and scripts: the charts must not need them.
    expect(page).not.toMatch(/\sstyle=|<style|<script(?! src)/)
    expect(response.headers.get('content-security-policy')).toContain("style-src 'self'")
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  it('logs in through the form with a safe cookie that holds no token', async () => {
    const response = await login(TOKEN)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/admin')
    const header = response.headers.get('set-cookie')!
    expect(header).toMatch(/^course_admin=[^;]+;/)
    expect(header).toContain('HttpOnly')
    expect(header).toContain('SameSite=Strict')
    expect(header).toContain('Secure')
    expect(header).toContain('Path=/admin')
    expect(header).not.toContain(TOKEN)
    expect(header).not.toContain(encodeURIComponent(TOKEN))
    // A random session id (32 bytes), of which the database keeps only the SHA-256 hash.
    const id = cookieOf(response).slice('course_admin='.length)
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const { rows } = await h.db.query<{ id_hash: string; expires_at: Date }>(
      'select id_hash, expires_at from admin_sessions',
    )
    expect(rows).toEqual([
      {
        id_hash: createHash('sha256').update(id).digest('hex'),
        expires_at: new Date('2027-01-04T20:00:00Z'),
      },
    ])

    const dashboard = await get('/admin', { cookie: cookieOf(response) })
    expect(dashboard.status).toBe(200)
    // The cookie works for the exports too (same path).
    expect((await get('/admin/stats.csv?table=funnel', { cookie: cookieOf(response) })).status).toBe(200)
  })

  it('refuses a wrong token at the login form with the login page again', async () => {
    for (const headers of [{ origin: ORIGIN }, CHROMIUM_SAME_ORIGIN]) {
      const response = await login('not-the-admin-token', headers)
      expect(response.status).toBe(401)
      expect(response.headers.get('set-cookie')).toBeNull()
      const page = await response.text()
      expect(page).toContain('That token is not right.')
      expect(page).toContain('<form method="post" action="/admin/login"')
    }
  })

  it("accepts Chromium's own form posts: Origin null, Sec-Fetch-Site same-origin (no-referrer)", async () => {
    const response = await login(TOKEN, CHROMIUM_SAME_ORIGIN)
    expect(response.status).toBe(303)
    const cookie = cookieOf(response)
    expect((await logout(cookie, CHROMIUM_SAME_ORIGIN)).status).toBe(303)
  })

  it('refuses logins and logouts posted from other sites or without an origin (CSRF)', async () => {
    const crossSite = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }
    const refused = await login(TOKEN, crossSite)
    expect(refused.status).toBe(403)
    expect(refused.headers.get('set-cookie')).toBeNull()
    expect(await refused.text()).toContain('Not allowed')
    expect((await login(TOKEN, { origin: 'https://evil.example' })).status).toBe(403)
    expect((await login(TOKEN, {})).status).toBe(403)
    expect((await login(TOKEN, { origin: 'null' })).status).toBe(403)
    expect((await login(TOKEN, { 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    // A sibling subdomain is same-site, and the SameSite=Strict cookie does not keep it out.
    expect((await login(TOKEN, { origin: 'null', 'sec-fetch-site': 'same-site' })).status).toBe(403)
    expect((await login(TOKEN, { 'sec-fetch-site': 'same-origin' })).status).toBe(303)

    const cookie = cookieOf(await login(TOKEN))
    expect((await logout(cookie, crossSite)).status).toBe(403)
    expect((await get('/admin', { cookie })).status).toBe(200)
  })

  it('refuses forged and expired cookies', async () => {
    expect((await get('/admin', { cookie: `course_admin=${TOKEN}` })).status).toBe(401)
    const issued = Date.parse('2027-01-04T08:00:00Z')
    expect((await get('/admin', { cookie: `course_admin=${issued}.AAAA` })).status).toBe(401)
    expect((await get('/admin', { cookie: `course_admin=${'A'.repeat(43)}` })).status).toBe(401)
    const cookie = cookieOf(await login(TOKEN))
    h.clock.advance(12 * 60 * 60 * 1000 - 1000)
    expect((await get('/admin', { cookie })).status).toBe(200)
    h.clock.advance(1000)
    expect((await get('/admin', { cookie })).status).toBe(401)
  })

  it('logs out by ending the session on the server: the old cookie is refused afterwards', async () => {
    const cookie = cookieOf(await login(TOKEN))
    expect((await get('/admin', { cookie })).status).toBe(200)
    const response = await logout(cookie)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/admin')
    expect(response.headers.get('set-cookie')).toMatch(/^course_admin=;.*Max-Age=0/)
    // A copy of the cookie kept from before (the browser forgot it; someone else may not have).
    expect((await get('/admin', { cookie })).status).toBe(401)
    expect((await get('/admin/stats.json', { cookie })).status).toBe(401)
    const { rows } = await h.db.query<{ ended_at: Date | null }>('select ended_at from admin_sessions')
    expect(rows).toEqual([{ ended_at: new Date('2027-01-04T08:00:00Z') }])
  })

  it('shares sessions between web processes on one database, and a new ADMIN_TOKEN ends them', async () => {
    const other = createWebApp(h.services.webDeps, [adminRoutes])
    const cookie = cookieOf(await login(TOKEN))
    expect((await other.request('/admin', { headers: { cookie } })).status).toBe(200)
    const ended = await other.request('/admin/logout', {
      method: 'POST',
      headers: { cookie, origin: ORIGIN },
    })
    expect(ended.status).toBe(303)
    expect((await get('/admin', { cookie })).status).toBe(401)

    const again = cookieOf(await login(TOKEN))
    const rotated = { ...h.services.webDeps, config: { ...h.config, adminToken: `${TOKEN}-rotated` } }
    const afterRotation = createWebApp(rotated, [adminRoutes])
    expect((await afterRotation.request('/admin', { headers: { cookie: again } })).status).toBe(401)
  })

  it('slows down guessing at the form: the eleventh wrong token in 15 minutes waits, the right one does not', async () => {
    for (let i = 0; i < 10; i++) expect((await login(`wrong-${i}`)).status).toBe(401)
    const limited = await login('wrong-10')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await limited.text()).toContain('Too many attempts')
    expect((await login(TOKEN)).status).toBe(303)
    h.clock.advance(15 * 60 * 1000)
    expect((await login('wrong-11')).status).toBe(401)
  })

  it('slows down guessing of bearer tokens the same way, never refusing the right one', async () => {
    const bearer = (token: string) => get('/admin/stats.json', { authorization: `Bearer ${token}` })
    for (let i = 0; i < 5; i++) expect((await bearer(`wrong-${i}`)).status).toBe(401)
    // Wrong tokens at the form count towards the same limit.
    for (let i = 5; i < 10; i++) expect((await login(`wrong-${i}`)).status).toBe(401)
    const limited = await bearer('wrong-10')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited.headers.get('cache-control')).toBe('no-store')
    expect((await bearer(TOKEN)).status).toBe(200)
    expect((await get('/admin', { authorization: `Bearer ${TOKEN}` })).status).toBe(200)
    expect((await bearer('wrong-11')).status).toBe(429)
  })

  it('exports each table as CSV behind the same authentication', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` }
    expect((await get('/admin/stats.csv?table=lessons')).status).toBe(401)
    const csv = await get('/admin/stats.csv?table=lessons', auth)
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="lessons-2027-01-04.csv"')
    expect((await csv.text()).split('\r\n')[0]).toContain('opened_unreliable')
    expect((await get('/admin/stats.csv?table=../../etc', auth)).status).toBe(400)
    const json = await get('/admin/stats.json?days=7', auth)
    expect((await json.json()).range).toEqual({ from: '2026-12-29', to: '2027-01-04', days: 7 })
  })
})

describe.each(ENGINES)('admin dashboard without ADMIN_TOKEN (%s)', (engine) => {
  let h: Harness
  afterEach(async () => {
    await h.close()
  })

  it('is disabled with a clear message, whatever is sent', async () => {
    h = await createHarness({ engine })
    const app = createWebApp(h.services.webDeps, [adminRoutes])
    const page = await app.request('/admin', { headers: { accept: 'text/html' } })
    expect(page.status).toBe(503)
    expect(await page.text()).toContain('set ADMIN_TOKEN')
    const api = await app.request('/admin/stats.csv?table=lessons', {
      headers: { authorization: 'Bearer x' },
    })
    expect(api.status).toBe(503)
    expect((await api.json()).error).toContain('ADMIN_TOKEN')
    const posted = await app.request('/admin/login', { method: 'POST', body: 'token=' })
    expect(posted.status).toBe(503)
  })
})
