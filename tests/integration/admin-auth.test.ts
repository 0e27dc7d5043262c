import type { Hono } from 'hono'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createWebApp } from '../../src/web/app'
import { adminRoutes } from '../../src/web/routes/admin'
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

    const dashboard = await get('/admin', { cookie: cookieOf(response) })
    expect(dashboard.status).toBe(200)
    // The cookie works for the exports too (same path).
    expect((await get('/admin/stats.csv?table=funnel', { cookie: cookieOf(response) })).status).toBe(200)
  })

  it('refuses a wrong token at the login form', async () => {
    const response = await login('not-the-admin-token')
    expect(response.status).toBe(401)
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(await response.text()).toContain('That token is not right.')
  })

  it('refuses logins posted from other sites or without an origin (CSRF)', async () => {
    expect((await login(TOKEN, { origin: 'https://evil.example' })).status).toBe(403)
    expect((await login(TOKEN, {})).status).toBe(403)
    expect((await login(TOKEN, { 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    expect((await login(TOKEN, { 'sec-fetch-site': 'same-origin' })).status).toBe(303)
  })

  it('refuses forged and expired cookies', async () => {
    expect((await get('/admin', { cookie: `course_admin=${TOKEN}` })).status).toBe(401)
    const issued = Date.parse('2027-01-04T08:00:00Z')
    expect((await get('/admin', { cookie: `course_admin=${issued}.AAAA` })).status).toBe(401)
    const cookie = cookieOf(await login(TOKEN))
    h.clock.advance(13 * 60 * 60 * 1000)
    expect((await get('/admin', { cookie })).status).toBe(401)
  })

  it('logs out by clearing the cookie', async () => {
    const response = await app.request('/admin/logout', { method: 'POST', headers: { origin: ORIGIN } })
    expect(response.status).toBe(303)
    expect(response.headers.get('set-cookie')).toMatch(/^course_admin=;.*Max-Age=0/)
  })

  it('slows down guessing: the eleventh login attempt within 15 minutes waits', async () => {
    for (let i = 0; i < 10; i++) expect((await login(`wrong-${i}`)).status).toBe(401)
    const limited = await login(TOKEN)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
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
