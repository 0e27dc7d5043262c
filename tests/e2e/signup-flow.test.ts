import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_PATH, keepOffline, launchChromium, serveApp, type TestServer } from '../helpers/browser'
import { createHarness, type Harness } from '../helpers/harness'
import { MAIN_COURSE } from '../helpers/web'

const READER = 'e2e-reader@example.net'

describe('signup to unsubscribe, as a reader does it', () => {
  let h: Harness
  let server: TestServer

  beforeAll(async () => {
    // The server first, so the app can be told its own address: links in the emails then lead back here.
    server = await serveApp((request, env) => h.services.web.fetch(request, env))
    h = await createHarness({ engine: 'pglite', env: { BASE_URL: server.url } })
  })

  afterAll(async () => {
    await server?.close()
    await h?.close()
  })

  // Always registered (also where Chromium is missing): what the browser test relies on to follow links.
  it('shows each message of the local inbox in a sandboxed frame that may open its links in a new page', async () => {
    const signup = await h.services.web.request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'frame-check@example.net', course: MAIN_COURSE }).toString(),
    })
    expect(signup.status).toBe(303)
    await h.services.sender.whenIdle()
    const [message] = await h.outbox()
    const id = path.basename(message!.file)
    const page = await (await h.services.web.request(`/dev/inbox/${id}`)).text()
    expect(page).toContain(
      `<iframe class="mail w600" title="The email as HTML" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" src="/dev/inbox/${id}/html">`,
    )
    const frame = await h.services.web.request(`/dev/inbox/${id}/html`)
    expect(frame.headers.get('content-security-policy')).toContain("frame-ancestors 'self'")
    expect(await frame.text()).toContain(`href="${server.url}/confirm?token=`)
  })

  if (CHROMIUM_PATH) {
    const executablePath = CHROMIUM_PATH
    describe('in Chromium', () => {
      let browser: Browser
      let context: BrowserContext
      let page: Page

      beforeAll(async () => {
        browser = await launchChromium(executablePath)
        context = await browser.newContext({ timezoneId: 'Europe/London' })
        await keepOffline(context)
        page = await context.newPage()
      })

      afterAll(async () => {
        await browser?.close()
      })

      /** Opens the reader's newest inbox message whose subject contains `subject`; returns its frame. */
      async function openMessage(subject: string) {
        await page.goto(`${server.url}/dev/inbox`)
        const row = page.getByRole('listitem').filter({ hasText: READER }).filter({ hasText: subject })
        await row.first().getByRole('link').click()
        await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain(subject)
        return page.frameLocator('iframe.mail')
      }

      /** Clicks a link inside the email; the sandbox lets it open a new page, which is returned loaded. */
      async function follow(frame: ReturnType<Page['frameLocator']>, name: string): Promise<Page> {
        const [opened] = await Promise.all([
          context.waitForEvent('page'),
          frame.getByRole('link', { name, exact: true }).click(),
        ])
        await opened.waitForLoadState()
        return opened
      }

      it('subscribes, confirms from the email, gets lesson 1, and unsubscribes from its footer', async () => {
        // 1. Sign up on the main course's page, reached from the list of courses on the start page.
        await page.goto(`${server.url}/`)
        await Promise.all([
          page.waitForURL(`${server.url}/courses/${MAIN_COURSE}`),
          page.getByRole('link', { name: 'Start “Avoiding SMP regrets”' }).click(),
        ])
        await page.getByLabel('Email address').fill(READER)
        await page.getByLabel('First name').fill('Robin')
        await Promise.all([
          page.waitForURL(`${server.url}/subscribe/thanks`),
          page.getByRole('button', { name: 'Start the free course' }).click(),
        ])
        expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Check your inbox')
        await h.services.sender.whenIdle()

        // 2. The confirmation email arrives in the local inbox; its button opens the confirm page.
        const confirmation = await openMessage('Confirm your subscription')
        await expect.poll(() => confirmation.getByText('Hi Robin,').count()).toBe(1)
        const confirmPage = await follow(confirmation, 'Confirm my subscription')
        expect(confirmPage.url()).toMatch(new RegExp(`^${server.url}/confirm\\?token=`))
        // Opening the link changed nothing yet (link scanners open links too).
        const pending = await h.db.query<{ status: string }>(
          'select status from subscribers where email_key = $1',
          [READER],
        )
        expect(pending.rows[0]?.status).toBe('pending')
        await confirmPage.getByRole('button', { name: 'Confirm my subscription' }).click()
        await expect
          .poll(() => confirmPage.getByRole('heading', { level: 1 }).textContent())
          .toBe('You are in')
        await confirmPage.close()
        await h.services.sender.whenIdle()

        // 3. Lesson day 0 is in the inbox, personalised.
        const lesson = h.services.webDeps.content().courses[0]!.lessons[0]!
        expect(lesson.day).toBe(0)
        const lessonFrame = await openMessage(lesson.subject)
        await expect.poll(() => lessonFrame.getByRole('heading', { name: lesson.title }).count()).toBe(1)
        expect(await lessonFrame.getByText('Hi Robin,').count()).toBe(1)

        // 4. The footer's Unsubscribe link opens a page that offers to leave the course, or to stop
        // all email; the reader stops everything.
        const unsubscribePage = await follow(lessonFrame, 'Unsubscribe')
        expect(unsubscribePage.url()).toMatch(
          new RegExp(`^${server.url}/unsubscribe\\?token=[^&]+&list=avoiding-smp-regrets$`),
        )
        expect(await unsubscribePage.getByRole('heading', { level: 1 }).textContent()).toBe(
          'Leave Avoiding SMP regrets?',
        )
        expect(
          await unsubscribePage.getByRole('button', { name: 'Leave Avoiding SMP regrets' }).count(),
        ).toBe(1)
        await unsubscribePage.getByRole('button', { name: 'Stop all email from us' }).click()
        await expect
          .poll(() => unsubscribePage.getByRole('heading', { level: 1 }).textContent())
          .toBe('You are unsubscribed')

        // 5. The database says so, nothing is left queued, and later lessons never come.
        const after = await h.db.query<{ status: string; unsubscribed_at: Date | null; timezone: string }>(
          'select status, unsubscribed_at, timezone from subscribers where email_key = $1',
          [READER],
        )
        expect(after.rows[0]?.status).toBe('unsubscribed')
        expect(after.rows[0]?.unsubscribed_at).toBeInstanceOf(Date)
        expect(after.rows[0]?.timezone).toBe('Europe/London')
        const queued = await h.db.query<{ n: number }>(
          `select count(*)::int as n from deliveries d join subscribers s on s.id = d.subscriber_id
           where s.email_key = $1 and d.status = 'queued'`,
          [READER],
        )
        expect(queued.rows[0]?.n).toBe(0)
        const before = (await h.outbox()).filter((m) => m.to === READER).length
        expect(before).toBe(2)
        h.clock.advanceDays(30)
        await h.tick()
        expect((await h.outbox()).filter((m) => m.to === READER)).toHaveLength(before)
      })
    })
  }
})
