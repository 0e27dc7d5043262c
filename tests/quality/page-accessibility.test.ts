import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONFIRM_TOKEN_TTL_MS, createToken } from '../../src/lib/links'
import { CHROMIUM_PATH, keepOffline, launchChromium, serveApp, type TestServer } from '../helpers/browser'
import { PHONE } from '../helpers/email-layout'
import { createHarness, type Harness } from '../helpers/harness'
import { ARTIFACTS } from '../helpers/quality-emails'
import { MAIN_COURSE } from '../helpers/web'

/** axe-core's browser build, injected into each page (@axe-core/playwright needs Node 22). */
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')

interface AxeViolation {
  id: string
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null
  help: string
  helpUrl: string
  nodes: { target: unknown[]; html: string }[]
}

const form = (h: Harness, route: string, fields: Record<string, string>) =>
  h.services.web.request(route, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })

describe('pages everyone can use', () => {
  let h: Harness
  /** Page name -> path, tokens included. */
  let pages: Record<string, string>

  beforeAll(async () => {
    h = await createHarness({ engine: 'pglite' })
    // A subscriber made through the app, for the pages that need a link from an email.
    expect(
      (await form(h, '/subscribe', { email: 'pages@example.net', name: 'Pat', course: MAIN_COURSE })).status,
    ).toBe(303)
    await h.services.sender.whenIdle()
    const { rows } = await h.db.query<{ id: number }>('select id from subscribers')
    const id = rows[0]!.id
    const secret = h.config.secret
    const expires = new Date(h.clock.now().getTime() + CONFIRM_TOKEN_TTL_MS)
    pages = {
      courses: '/',
      signup: `/courses/${MAIN_COURSE}`,
      'thank-you': '/subscribe/thanks',
      confirm: `/confirm?token=${createToken(secret, 'confirm', id, expires)}`,
      unsubscribe: `/unsubscribe?token=${createToken(secret, 'unsubscribe', id)}`,
      preferences: `/preferences?token=${createToken(secret, 'preferences', id)}`,
      archive: '/archive',
    }
  })

  afterAll(async () => {
    await h?.close()
  })

  // Always registered (also where Chromium is missing): the basics axe builds on, in the served HTML.
  it('serves each page with a language, a title, a viewport and a label for every field', async () => {
    for (const [name, route] of Object.entries(pages)) {
      const response = await h.services.web.request(route)
      const page = await response.text()
      expect(response.status, name).toBe(200)
      expect(page, name).toMatch(/<html lang="en">/)
      expect(page, name).toMatch(/<title>[^<]*\S[^<]*<\/title>/)
      expect(page, name).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">')
      for (const [, id] of page.matchAll(
        /<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*\sid="([^"]+)"/g,
      ))
        expect(page, `${name}: label for #${id}`).toContain(`for="${id}"`)
    }
  })

  if (CHROMIUM_PATH) {
    const executablePath = CHROMIUM_PATH
    describe('in Chromium', () => {
      let browser: Browser
      let server: TestServer
      const findings: { page: string; scheme: string; violations: AxeViolation[] }[] = []

      beforeAll(async () => {
        server = await serveApp((request, env) => h.services.web.fetch(request, env))
        browser = await launchChromium(executablePath)
      })

      afterAll(async () => {
        await browser?.close()
        await server?.close()
        if (findings.length === 0) return
        const lines = ['# Accessibility (axe-core) of the pages', '']
        for (const { page, scheme, violations } of findings) {
          lines.push(`## ${page} (${scheme})`, '')
          if (violations.length === 0) lines.push('No violations.')
          for (const v of violations)
            lines.push(
              `- ${v.impact ?? 'unknown'}: ${v.id}: ${v.help} (${v.nodes.length} nodes: ${v.nodes
                .slice(0, 3)
                .map((node) => node.target.join(' '))
                .join('; ')}) ${v.helpUrl}`,
            )
          lines.push('')
        }
        const file = path.join(ARTIFACTS, 'quality', 'accessibility.md')
        mkdirSync(path.dirname(file), { recursive: true })
        writeFileSync(file, lines.join('\n'))
        const total = findings.reduce((sum, f) => sum + f.violations.length, 0)
        process.stdout.write(
          `\naxe-core: ${findings.length} page views, ${total} violations of any impact. Report: ${path.relative(process.cwd(), file)}\n`,
        )
      })

      async function axe(page: Page): Promise<AxeViolation[]> {
        await page.addScriptTag({ path: AXE_SOURCE })
        const result = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as {
          violations: AxeViolation[]
        }
        return result.violations
      }

      for (const scheme of ['light', 'dark'] as const) {
        describe(`${scheme} colour scheme`, () => {
          let context: BrowserContext
          let page: Page

          beforeAll(async () => {
            // The site's CSP forbids inline scripts, which is how axe is injected; only here is it lifted.
            context = await browser.newContext({ bypassCSP: true, colorScheme: scheme })
            await keepOffline(context)
            page = await context.newPage()
          })

          afterAll(async () => {
            await context?.close()
          })

          const check = async (name: string) => {
            const violations = await axe(page)
            findings.push({ page: name, scheme, violations })
            const serious = violations
              .filter((v) => v.impact === 'serious' || v.impact === 'critical')
              .map((v) => ({ rule: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.html) }))
            expect(serious).toEqual([])
          }

          for (const name of [
            'courses',
            'signup',
            'thank-you',
            'confirm',
            'unsubscribe',
            'preferences',
            'archive',
          ]) {
            it(`${name}: no serious or critical axe violations`, async () => {
              const response = await page.goto(`${server.url}${pages[name]}`)
              expect(response?.status()).toBe(200)
              await check(name)
            })
          }

          it('would catch a problem: axe flags the signup form once a label is taken away', async () => {
            await page.goto(`${server.url}${pages.signup}`)
            await page.evaluate('document.querySelector(\'label[for="email"]\').remove()')
            const violations = await axe(page)
            expect(violations.map((v) => [v.id, v.impact])).toContainEqual(['label', 'critical'])
          })

          it('signup with an invalid address: the error is announced and passes axe', async () => {
            await page.goto(`${server.url}${pages.signup}`)
            await page.getByLabel('Email address').fill('not-an-address')
            await page.getByRole('button', { name: 'Start the free course' }).click()
            await expect.poll(() => page.getAttribute('#email', 'aria-invalid')).toBe('true')
            expect(await page.getByRole('alert').textContent()).toBeTruthy()
            await check('signup with an error')
          })
        })
      }

      describe('on a 375 px phone', () => {
        let context: BrowserContext

        beforeAll(async () => {
          context = await browser.newContext({ ...PHONE })
          await keepOffline(context)
        })

        afterAll(async () => {
          await context?.close()
        })

        it('signup: nothing scrolls sideways, and the address field and the button fit the width', async () => {
          const page = await context.newPage()
          expect((await page.goto(`${server.url}${pages.signup}`))?.status()).toBe(200)
          const width = PHONE.viewport.width
          const { scrollWidth, clientWidth } = await page.evaluate(() => ({
            scrollWidth: document.documentElement.scrollWidth,
            clientWidth: document.documentElement.clientWidth,
          }))
          expect(clientWidth).toBe(width)
          expect(scrollWidth).toBeLessThanOrEqual(clientWidth)
          for (const control of [
            page.getByLabel('Email address'),
            page.getByRole('button', { name: 'Start the free course' }),
          ]) {
            await expect.poll(() => control.isVisible()).toBe(true)
            const box = (await control.boundingBox())!
            expect(box.width).toBeGreaterThan(0)
            expect(box.x).toBeGreaterThanOrEqual(0)
            expect(box.x + box.width).toBeLessThanOrEqual(width)
          }
          await page.close()
        })
      })

      describe('keyboard only', () => {
        let context: BrowserContext

        beforeAll(async () => {
          // The real CSP this time, and a time zone for the signup script to report.
          context = await browser.newContext({ timezoneId: 'Europe/Berlin' })
          await keepOffline(context)
        })

        afterAll(async () => {
          await context?.close()
        })

        for (const key of ['Enter', 'Space'] as const) {
          it(`subscribes with Tab, typing and ${key} on the button, and lands on the thank-you page`, async () => {
            const email = `keys-${key.toLowerCase()}@example.net`
            const page = await context.newPage()
            await page.goto(`${server.url}${pages.signup}`)
            const focused = () =>
              page.evaluate(() => {
                const el = document.activeElement as HTMLElement | null
                const style = el ? getComputedStyle(el) : null
                return {
                  id: el?.id ?? '',
                  text: el?.textContent?.trim() ?? '',
                  outline: style ? `${style.outlineStyle} ${style.outlineWidth}` : '',
                }
              })

            await page.keyboard.press('Tab')
            expect((await focused()).id).toBe('email')
            // Focus is visible (WCAG 2.4.7): the stylesheet's :focus-visible outline is drawn.
            expect((await focused()).outline).toMatch(/^solid [2-9]/)
            await page.keyboard.type(email)
            await page.keyboard.press('Tab')
            expect((await focused()).id).toBe('name')
            await page.keyboard.type('Kim')
            // The honeypot field is out of the tab order: the next stop is the button.
            await page.keyboard.press('Tab')
            expect((await focused()).text).toBe('Start the free course')
            await Promise.all([page.waitForURL(`${server.url}/subscribe/thanks`), page.keyboard.press(key)])
            await expect
              .poll(() => page.getByRole('heading', { level: 1 }).textContent())
              .toBe('Check your inbox')

            const { rows } = await h.db.query<{ status: string; name: string; timezone: string }>(
              'select status, name, timezone from subscribers where email_key = $1',
              [email],
            )
            // The time zone came from the page's script, which ran under the site's CSP.
            expect(rows).toEqual([{ status: 'pending', name: 'Kim', timezone: 'Europe/Berlin' }])
            await page.close()
          })
        }
      })
    })
  }
})
