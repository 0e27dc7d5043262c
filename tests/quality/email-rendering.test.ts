import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_PATH, keepOffline, launchChromium } from '../helpers/browser'
import {
  type ContrastReport,
  type LayoutReport,
  MEASURE_CONTRAST,
  MEASURE_LAYOUT,
  PHONE,
} from '../helpers/email-layout'
import { loadQualityEmails } from '../helpers/quality-emails'

const emails = await loadQualityEmails()

// Always registered (also where Chromium is missing): no inline style may ask for text under 14 px.
describe('email font sizes in the markup', () => {
  it('sets no font size under 14 px in any email', () => {
    const small = emails.flatMap((e) =>
      [...e.email.html.matchAll(/font-size:\s*([\d.]+)(px|pt)/g)]
        .map((m) => ({ email: e.name, px: Number(m[1]) * (m[2] === 'pt' ? 4 / 3 : 1) }))
        .filter((size) => size.px < 14),
    )
    expect(small).toEqual([])
    expect(emails.every((e) => /font-size:\s*16px/.test(e.email.html))).toBe(true)
  })
})

if (CHROMIUM_PATH) {
  const executablePath = CHROMIUM_PATH
  describe('emails on a 375 px phone screen (Chromium)', () => {
    let browser: Browser
    let page: Page

    beforeAll(async () => {
      browser = await launchChromium(executablePath)
      const context = await browser.newContext({ ...PHONE, colorScheme: 'light' })
      await keepOffline(context)
      page = await context.newPage()
    })

    afterAll(async () => {
      await browser?.close()
    })

    for (const { name, email } of emails) {
      it(`${name}: lays out at the phone's width, never scrolls sideways, text at least 14 px`, async () => {
        await page.setContent(email.html, { waitUntil: 'load' })
        const report = (await page.evaluate(MEASURE_LAYOUT)) as LayoutReport
        // A page laid out wider than the screen is shrunk to fit: 16 px text would read as 6 px.
        expect(report.layoutWidth).toBe(PHONE.viewport.width)
        expect(report.overflowing).toEqual([])
        expect(report.scrollWidth).toBeLessThanOrEqual(report.clientWidth)
        expect(report.smallText).toEqual([])
        // The walk saw the email's text, not an empty document.
        expect(report.textNodes).toBeGreaterThan(5)
      })

      // The emails carry no dark styles (inline styles only): dark mode is the mail app darkening them,
      // so every colour pair must stay readable both as drawn and with its lightness inverted.
      it(`${name}: every text is readable (WCAG AA) as drawn and in a mail app's dark mode`, async () => {
        await page.setContent(email.html, { waitUntil: 'load' })
        const report = (await page.evaluate(MEASURE_CONTRAST)) as ContrastReport
        expect(report.light).toEqual([])
        expect(report.inverted).toEqual([])
        expect(report.textNodes).toBeGreaterThan(5)
      })
    }
  })
}
