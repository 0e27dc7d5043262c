import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminRoutesWith } from '../../src/web/admin/routes'
import { createWebApp } from '../../src/web/app'
import { archiveRoutes } from '../../src/web/routes/archive'
import { CHROMIUM_PATH, keepOffline, launchChromium, serveApp, type TestServer } from '../helpers/browser'
import { createHarness, type Harness } from '../helpers/harness'
import { subscribeAndConfirm } from '../helpers/web'

const TOKEN = 'e2e-admin-token-0123456789'
const COURSE = 'avoiding-smp-regrets'
const ISSUE = 'healed-results'
const SAM = 'sam.reader@example.net'
const KIM = 'kim.control@example.net'

/**
 * Running the course from the admin in Chromium, on a real socket: find a reader by part of their
 * address, open them, pause and resume their course, send a test of an issue and read it in the local
 * inbox, send the issue and watch it complete, and unsubscribe the reader (no more mail on the next ticks).
 */
describe.skipIf(!CHROMIUM_PATH)('running the course from the admin, in Chromium', () => {
  let h: Harness
  let server: TestServer
  let browser: Browser
  let page: Page
  let sam: number

  beforeAll(async () => {
    let app: ReturnType<typeof createWebApp> | undefined
    server = await serveApp((request, env) => app!.fetch(request, env))
    h = await createHarness({
      engine: 'pglite',
      env: { BASE_URL: `http://localhost:${new URL(server.url).port}`, ADMIN_TOKEN: TOKEN },
    })
    app = createWebApp(h.services.webDeps, [archiveRoutes, adminRoutesWith({ mailer: h.mailer })])
    sam = (await subscribeAndConfirm(h, SAM, { course: COURSE, name: 'Sam', timezone: 'Europe/Berlin' })).id
    await subscribeAndConfirm(h, KIM, { course: COURSE, name: 'Kim' })
    browser = await launchChromium(CHROMIUM_PATH as string)
    const context = await browser.newContext()
    await keepOffline(context)
    page = await context.newPage()
    await page.goto(`${server.url}/admin`)
    await page.getByLabel('Admin token').fill(TOKEN)
    await Promise.all([
      page.waitForURL(`${server.url}/admin`),
      page.getByRole('button', { name: 'Log in' }).click(),
    ])
  })

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await h?.close()
  })

  const heading = () => page.getByRole('heading', { level: 1 }).textContent()
  const notice = () => page.getByRole('status').textContent()
  /** Clicks something that navigates, and waits for the next page to load. */
  const go = (click: Promise<void>) => Promise.all([page.waitForNavigation(), click])
  const enrolment = async () =>
    (await h.db.query<{ status: string }>('select status from enrolments where subscriber_id = $1', [sam]))
      .rows[0]?.status

  it('finds a reader by part of their address and opens their page', async () => {
    await go(page.getByRole('link', { name: 'Readers' }).click())
    expect(await heading()).toBe('Readers')
    await page.getByLabel('Address or name contains').fill('SAM.REA')
    await go(page.getByRole('button', { name: 'Search' }).click())
    const links = page.getByRole('link', { name: /@example\.net$/ })
    expect(await links.allTextContents()).toEqual([SAM])
    await go(links.first().click())
    expect(await heading()).toBe(SAM)
    expect(page.url()).toBe(`${server.url}/admin/readers/${sam}`)
    // Their emails, in their own time zone: lesson day 0 went at once.
    expect(
      await page.getByText('Time zone').locator('xpath=following-sibling::dd[1]').textContent(),
    ).toContain('Europe/Berlin')
    expect(await page.getByRole('cell', { name: /(GMT\+1|CET)$/ }).count()).toBeGreaterThan(0)
  })

  it('pauses and resumes their course', async () => {
    await go(page.getByRole('button', { name: /^Pause/ }).click())
    expect(await notice()).toBe('Their course was changed.')
    expect(await enrolment()).toBe('paused')
    expect(await page.getByRole('cell', { name: 'paused', exact: true }).isVisible()).toBe(true)
    await go(page.getByRole('button', { name: /^Resume/ }).click())
    expect(await notice()).toBe('Their course was changed.')
    expect(await enrolment()).toBe('active')
    expect(await page.getByRole('button', { name: /^Pause/ }).isVisible()).toBe(true)
  })

  it('sends a test of an issue to an address, and it is in the local inbox', async () => {
    await go(page.getByRole('link', { name: 'Newsletters' }).click())
    await go(page.getByRole('link', { name: /healed/i }).click())
    await page.getByLabel('Send a test to').fill('editor@example.net')
    await go(page.getByRole('button', { name: 'Send test' }).click())
    expect(await notice()).toContain('The test copy is sent')
    await page.goto(`${server.url}/dev/inbox`)
    const test = page.getByRole('link', { name: /^\[TEST\] / })
    expect(await test.count()).toBe(1)
    await go(test.click())
    expect(await page.getByText('editor@example.net').first().isVisible()).toBe(true)
  })

  it('sends the issue and watches it complete', async () => {
    await page.goto(`${server.url}/admin/newsletters/${ISSUE}`)
    expect(await page.getByText('2 readers (confirmed, newsletter on)').isVisible()).toBe(true)
    await page.getByLabel(/Yes, send it to 2 readers now/).check()
    await go(page.getByRole('button', { name: 'Send now' }).click())
    expect(await notice()).toContain('Sending has started')
    const state = page.locator('[data-field="state"]')
    expect(await state.textContent()).toMatch(/^scheduled for /)
    // The scheduler's tick queues the issue and sends it; the page's script follows without a reload.
    await h.tick()
    await expect.poll(() => state.textContent(), { timeout: 15_000 }).toMatch(/^sent on .* to 2 readers$/)
    expect(await page.locator('[data-field="sent"]').textContent()).toBe('2')
    expect(await page.locator('[data-field="waiting"]').textContent()).toBe('0')
    expect(await page.locator('[data-field="failed"]').textContent()).toBe('0')
    const subject = h.content.current.compiled('newsletter', null, ISSUE)!.subject
    const got = (await h.outbox()).filter((m) => m.subject === subject).map((m) => m.to)
    expect(got.sort()).toEqual([KIM, SAM])
  })

  it('unsubscribes the reader, and the next ticks send them nothing while others go on', async () => {
    await page.goto(`${server.url}/admin/readers/${sam}`)
    await go(page.getByRole('button', { name: 'Unsubscribe from everything' }).click())
    expect(await notice()).toBe('Unsubscribed: no more email goes to them.')
    expect(await page.getByText('unsubscribed', { exact: true }).first().isVisible()).toBe(true)
    const count = async (to: string) => (await h.outbox()).filter((m) => m.to === to).length
    const samBefore = await count(SAM)
    const kimBefore = await count(KIM)
    for (let day = 0; day < 10; day++) {
      h.clock.advanceDays(1)
      await h.tick()
    }
    expect(await count(SAM)).toBe(samBefore)
    expect(await count(KIM)).toBeGreaterThan(kimBefore)
  })
})
