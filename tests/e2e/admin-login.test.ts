import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_PATH, keepOffline, launchChromium, serveApp, type TestServer } from '../helpers/browser'
import { createHarness, type Harness } from '../helpers/harness'

const TOKEN = 'e2e-admin-token-0123456789'

describe('the admin login, served on a real socket', () => {
  let h: Harness
  let server: TestServer
  let port: string

  beforeAll(async () => {
    server = await serveApp((request, env) => h.services.web.fetch(request, env))
    port = new URL(server.url).port
    // The page is opened at 127.0.0.1 while BASE_URL names localhost: the same server under two
    // names, as when an operator types either. Neither name may break the login.
    h = await createHarness({
      engine: 'pglite',
      env: { BASE_URL: `http://localhost:${port}`, ADMIN_TOKEN: TOKEN },
    })
  })

  afterAll(async () => {
    await server?.close()
    await h?.close()
  })

  // Always registered (also where Chromium is missing): the same steps with the headers Chromium sends.
  it('logs in and out with the headers Chromium sends under no-referrer (Origin null, Sec-Fetch-Site)', async () => {
    const post = (path: string, body: string, cookie = '') =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'null',
          'sec-fetch-site': 'same-origin',
          cookie,
        },
        body,
      })
    const wrong = await post('/admin/login', 'token=not-the-token')
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).toContain('That token is not right.')
    const right = await post('/admin/login', `token=${TOKEN}`)
    expect(right.status).toBe(303)
    const cookie = right.headers.get('set-cookie')?.split(';')[0] ?? ''
    const dashboard = await fetch(`${server.url}/admin`, { headers: { cookie } })
    expect(dashboard.status).toBe(200)
    expect((await post('/admin/logout', '', cookie)).status).toBe(303)
    expect((await fetch(`${server.url}/admin`, { headers: { cookie } })).status).toBe(401)
  })

  if (CHROMIUM_PATH) {
    const executablePath = CHROMIUM_PATH
    describe('in Chromium', () => {
      let browser: Browser
      let page: Page

      beforeAll(async () => {
        browser = await launchChromium(executablePath)
        const context = await browser.newContext()
        await keepOffline(context)
        page = await context.newPage()
      })

      afterAll(async () => {
        await browser?.close()
      })

      const heading = () => page.getByRole('heading', { level: 1 }).textContent()

      /** Types a token into the login form and submits it; resolves once the answer has loaded. */
      async function logIn(token: string) {
        await page.getByLabel('Admin token').fill(token)
        await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Log in' }).click()])
      }

      it('refuses a wrong token, shows the dashboard for the right one, and logs out', async () => {
        await page.goto(`${server.url}/admin`)
        expect(await heading()).toBe('Course dashboard')
        expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0)

        await logIn('not-the-admin-token')
        expect(page.url()).toBe(`${server.url}/admin/login`)
        expect(await page.getByText('That token is not right.').isVisible()).toBe(true)
        expect(await page.getByLabel('Admin token').getAttribute('aria-invalid')).toBe('true')

        await logIn(TOKEN)
        expect(page.url()).toBe(`${server.url}/admin`)
        expect(await page.getByRole('heading', { name: /^Course funnels?$/ }).isVisible()).toBe(true)
        const [session] = await page.context().cookies()
        expect(session?.name).toBe('course_admin')

        await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Log out' }).click()])
        expect(page.url()).toBe(`${server.url}/admin`)
        expect(await page.getByLabel('Admin token').isVisible()).toBe(true)
        expect(await page.context().cookies()).toEqual([])
        // The session ended on the server: the cookie the browser held is refused if replayed.
        const replayed = await fetch(`${server.url}/admin`, {
          headers: { cookie: `course_admin=${session?.value}` },
        })
        expect(replayed.status).toBe(401)
      })
    })
  }
})
