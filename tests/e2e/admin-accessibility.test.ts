import { createRequire } from 'node:module'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordAudit } from '../../src/audit/log'
import { addEndpoint } from '../../src/events/store'
import { adminRoutesWith } from '../../src/web/admin/routes'
import { createWebApp } from '../../src/web/app'
import { CHROMIUM_PATH, keepOffline, launchChromium, serveApp, type TestServer } from '../helpers/browser'
import { createHarness, type Harness } from '../helpers/harness'
import { subscribeAndConfirm } from '../helpers/web'

/** axe-core's browser build, injected into each page (as tests/quality/page-accessibility.test.ts does). */
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
const TOKEN = 'e2e-admin-token-0123456789'
const COURSE = 'avoiding-smp-regrets'

interface AxeViolation {
  id: string
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null
  help: string
  nodes: { html: string }[]
}

const VIEWPORTS = [
  { name: '1280 px', viewport: { width: 1280, height: 900 } },
  {
    name: '375 px',
    viewport: { width: 375, height: 740 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
  },
] as const

/**
 * Every admin page in Chromium at 1280 and 375 px, light and dark: no serious or critical axe-core
 * violation, and nothing scrolls sideways on a phone. Then the readers page by keyboard alone.
 */
describe.skipIf(!CHROMIUM_PATH)('the admin is accessible, in Chromium', () => {
  let h: Harness
  let server: TestServer
  let browser: Browser
  let pages: Record<string, string>

  beforeAll(async () => {
    let app: ReturnType<typeof createWebApp> | undefined
    server = await serveApp((request, env) => app!.fetch(request, env))
    h = await createHarness({
      engine: 'pglite',
      env: { BASE_URL: `http://localhost:${new URL(server.url).port}`, ADMIN_TOKEN: TOKEN },
    })
    app = createWebApp(h.services.webDeps, [adminRoutesWith({ mailer: h.mailer })])
    // Enough on every page for its tables, figures and forms to be drawn.
    await addEndpoint(h.db, { url: 'http://127.0.0.1:9/hook', events: [], secret: 'whsec_x' }, h.clock.now())
    const { id } = await subscribeAndConfirm(h, 'axe.reader@example.net', { course: COURSE, name: 'Ada' })
    await subscribeAndConfirm(h, 'other.reader@example.net', { course: COURSE })
    await recordAudit(h.db, { actor: 'admin', action: 'subscriber.export', subscriberId: id }, h.clock.now())
    pages = {
      overview: '/admin',
      readers: '/admin/readers?q=reader',
      reader: `/admin/readers/${id}`,
      newsletters: '/admin/newsletters',
      issue: '/admin/newsletters/healed-results',
      courses: '/admin/courses',
      health: '/admin/health',
      'new endpoint': '/admin/health/endpoints/new',
      audit: '/admin/audit',
    }
    browser = await launchChromium(CHROMIUM_PATH as string)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await h?.close()
  })

  async function logIn(page: Page) {
    await page.goto(`${server.url}/admin`)
    await page.getByLabel('Admin token').fill(TOKEN)
    await Promise.all([
      page.waitForURL(`${server.url}/admin`),
      page.getByRole('button', { name: 'Log in' }).click(),
    ])
  }

  async function serious(page: Page): Promise<unknown[]> {
    await page.addScriptTag({ path: AXE_SOURCE })
    const { violations } = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as {
      violations: AxeViolation[]
    }
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ rule: v.id, help: v.help, nodes: v.nodes.map((n) => n.html).slice(0, 3) }))
  }

  for (const { name: width, ...device } of VIEWPORTS)
    for (const scheme of ['light', 'dark'] as const)
      describe(`${width}, ${scheme}`, () => {
        let context: BrowserContext
        let page: Page

        beforeAll(async () => {
          // The CSP forbids inline scripts, which is how axe is injected: only here is it lifted.
          context = await browser.newContext({ ...device, colorScheme: scheme, bypassCSP: true })
          await keepOffline(context)
          page = await context.newPage()
          await page.goto(`${server.url}/admin`)
          expect(await serious(page), 'login page').toEqual([])
          await logIn(page)
        })

        afterAll(async () => {
          await context?.close()
        })

        for (const name of [
          'overview',
          'readers',
          'reader',
          'newsletters',
          'issue',
          'courses',
          'health',
          'new endpoint',
          'audit',
        ])
          it(`${name}: no serious axe violation${width === '375 px' ? ', nothing scrolls sideways' : ''}`, async () => {
            const response = await page.goto(`${server.url}${pages[name]}`)
            expect(response?.status()).toBe(200)
            expect(await serious(page)).toEqual([])
            if (width === '375 px') {
              const { scrollWidth, clientWidth, wide } = await page.evaluate(() => ({
                scrollWidth: document.documentElement.scrollWidth,
                clientWidth: document.documentElement.clientWidth,
                // What sticks out, to say what to fix.
                wide: [...document.querySelectorAll('body *')]
                  .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                  .slice(0, 5)
                  .map((el) => el.outerHTML.slice(0, 120)),
              }))
              expect(scrollWidth, `${name}: ${wide.join('\n')}`).toBeLessThanOrEqual(clientWidth)
            }
          })
      })

  it('is usable by keyboard alone: skip to the content, search, open a reader', async () => {
    const context = await browser.newContext()
    await keepOffline(context)
    const page = await context.newPage()
    await logIn(page)
    await page.goto(`${server.url}/admin/readers`)
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null
        const style = el ? getComputedStyle(el) : null
        return { id: el?.id ?? '', text: el?.textContent?.trim() ?? '', outline: style?.outlineStyle ?? '' }
      })
    await page.keyboard.press('Tab')
    expect((await focused()).text).toBe('Skip to content')
    await page.keyboard.press('Enter')
    await page.keyboard.press('Tab')
    expect((await focused()).id).toBe('q')
    expect((await focused()).outline).toBe('solid')
    await page.keyboard.type('axe.rea')
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
    // The results: Tab through the form to the first reader's link, and open it with Enter.
    for (let i = 0; i < 20 && (await focused()).text !== 'axe.reader@example.net'; i++)
      await page.keyboard.press('Tab')
    expect((await focused()).text).toBe('axe.reader@example.net')
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')])
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('axe.reader@example.net')
    await context.close()
  })
})
