import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_PATH, keepOffline, launchChromium, serveApp, type TestServer } from '../helpers/browser'
import { contentDirs, lessonText } from '../helpers/content-fixtures'
import { createHarness, type Harness } from '../helpers/harness'

const READER = 'eager-reader@example.net'

/** A self-paced course: lessons on days 0, 3 and 6. */
function selfPaced() {
  const lesson = (day: number, title: string) =>
    lessonText({ title, subject: `${title} (subject)`, preview: `What ${title} covers.`, day })
  return contentDirs({
    'paced/course.md':
      '---\ntitle: "At your pace"\ndescription: "A self-paced course."\npacing: self-paced\n---\n',
    'paced/00-one.md': lesson(0, 'Lesson one'),
    'paced/01-two.md': lesson(3, 'Lesson two'),
    'paced/02-three.md': lesson(6, 'Lesson three'),
  })
}

describe('"Send me the next lesson now", pressed from the local inbox', () => {
  let h: Harness
  let server: TestServer

  beforeAll(async () => {
    server = await serveApp((request, env) => h.services.web.fetch(request, env))
    const { lessonsDir, newslettersDir } = selfPaced()
    h = await createHarness({
      engine: 'pglite',
      env: { BASE_URL: server.url, LESSONS_DIR: lessonsDir, NEWSLETTERS_DIR: newslettersDir },
    })
  })

  afterAll(async () => {
    await server?.close()
    await h?.close()
  })

  // Always registered: what the browser test relies on.
  it('puts the reader’s signed "next lesson now" link in each lesson but the last', async () => {
    await h.services.web.request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'link-check@example.net', course: 'paced' }).toString(),
    })
    await h.services.sender.whenIdle()
    const confirmation = (await h.outbox()).find((m) => m.to === 'link-check@example.net')!
    await h.services.web.request('/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URL(confirmation.link('/confirm')!).searchParams.toString(),
    })
    await h.services.sender.whenIdle()
    const lesson = (await h.outbox()).find((m) => m.subject === 'Lesson one (subject)')!
    expect(lesson.link('/courses/paced/next?')).toMatch(
      new RegExp(`^${server.url}/courses/paced/next\\?token=[^&]+&after=one$`),
    )
  })

  if (CHROMIUM_PATH) {
    const executablePath = CHROMIUM_PATH
    describe('in Chromium', () => {
      let browser: Browser
      let context: BrowserContext
      let page: Page

      beforeAll(async () => {
        browser = await launchChromium(executablePath)
        context = await browser.newContext({ timezoneId: 'Europe/Paris' })
        await keepOffline(context)
        page = await context.newPage()
      })
      afterAll(async () => {
        await browser?.close()
      })

      async function openMessage(subject: string) {
        await page.goto(`${server.url}/dev/inbox`)
        await page
          .getByRole('listitem')
          .filter({ hasText: READER })
          .filter({ hasText: subject })
          .first()
          .getByRole('link')
          .click()
        await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain(subject)
        return page.frameLocator('iframe.mail')
      }
      async function follow(frame: ReturnType<Page['frameLocator']>, name: string): Promise<Page> {
        const [opened] = await Promise.all([
          context.waitForEvent('page'),
          frame.getByRole('link', { name }).click(),
        ])
        await opened.waitForLoadState()
        return opened
      }

      it('subscribes, gets lesson one, and brings lesson two forward with one press (once)', async () => {
        await page.goto(`${server.url}/`)
        await page.getByLabel('Email address').fill(READER)
        await Promise.all([
          page.waitForURL(`${server.url}/subscribe/thanks`),
          page.getByRole('button', { name: 'Start the free course' }).click(),
        ])
        await h.services.sender.whenIdle()
        const confirmPage = await follow(
          await openMessage('Confirm your subscription'),
          'Confirm my subscription',
        )
        await confirmPage.getByRole('button', { name: 'Confirm my subscription' }).click()
        await expect
          .poll(() => confirmPage.getByRole('heading', { level: 1 }).textContent())
          .toBe('You are in')
        await confirmPage.close()
        await h.services.sender.whenIdle()

        // Lesson one offers the next lesson now; the link opens a page with one button.
        const one = await openMessage('Lesson one (subject)')
        const nextPage = await follow(one, 'Send me the next lesson now')
        expect(await nextPage.getByRole('heading', { level: 1 }).textContent()).toBe(
          'Send the next lesson now?',
        )
        expect(
          (await h.outbox()).filter((m) => m.subject === 'Lesson two (subject)' && m.to === READER),
        ).toHaveLength(0)
        // The inbox stays open in the first tab: it reloads by itself when the lesson arrives.
        await page.goto(`${server.url}/dev/inbox`)
        expect(await page.getByRole('listitem').filter({ hasText: 'Lesson two (subject)' }).count()).toBe(0)
        await nextPage.getByRole('button', { name: 'Send me the next lesson now' }).click()
        await expect.poll(() => nextPage.getByRole('heading', { level: 1 }).textContent()).toBe('On its way')
        await h.services.sender.whenIdle()

        // Once, even after a second press.
        await expect
          .poll(() => page.getByRole('listitem').filter({ hasText: 'Lesson two (subject)' }).count(), {
            timeout: 20_000,
          })
          .toBe(1)
        await nextPage.goBack()
        await nextPage.getByRole('button', { name: 'Send me the next lesson now' }).click()
        await expect
          .poll(() => nextPage.getByRole('heading', { level: 1 }).textContent())
          .toMatch(/Already on its way|Already sent/)
        await h.services.sender.whenIdle()
        expect(
          (await h.outbox()).filter((m) => m.subject === 'Lesson two (subject)' && m.to === READER),
        ).toHaveLength(1)
      })
    })
  }
})
