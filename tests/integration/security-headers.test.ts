import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createHarness, type Harness } from '../helpers/harness'
import { MAIN_COURSE, postForm } from '../helpers/web'

// Headers are the same on both engines: PGlite only.

/** The page policy the site has always sent, written out in full so a change is seen. */
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
const HSTS = 'max-age=31536000; includeSubDomains'

describe('security headers', () => {
  let h: Harness
  afterEach(async () => {
    await h.close()
  })

  /** Every header name and value of an answer that is not about its body. */
  const securityOf = (response: Response) =>
    Object.fromEntries(
      [...response.headers].filter(
        ([name]) => !/^(content-type|content-length|cache-control|allow|location)$/.test(name),
      ),
    )

  it('sends Strict-Transport-Security on every answer in production, beside the usual headers', async () => {
    h = await createHarness({
      engine: 'pglite',
      env: { NODE_ENV: 'production', ALLOW_OUTBOX_IN_PRODUCTION: 'true' },
    })
    expect(h.config.env).toBe('production')
    const web = h.services.web
    const home = await web.request('/')
    expect(home.status).toBe(200)
    expect(securityOf(home)).toEqual({
      'content-security-policy': PAGE_CSP,
      'cross-origin-opener-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': HSTS,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    })
    // Redirects, refusals, missing pages and pages with their own CSP carry it too.
    const answers = [
      await web.request('/subscribe', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: 'hsts@example.net', course: MAIN_COURSE }).toString(),
      }),
      await web.request('/healthz', { method: 'DELETE' }),
      await web.request('/no-such-page'),
      await web.request(
        `/courses/avoiding-smp-regrets/lessons/${h.services.webDeps.content().courses[0]!.lessons[0]!.slug}`,
      ),
    ]
    expect(answers.map((r) => r.status)).toEqual([303, 405, 404, 200])
    for (const response of answers) expect(response.headers.get('strict-transport-security')).toBe(HSTS)
  })

  it('sends no Strict-Transport-Security outside production, and lets a route set its own CSP', async () => {
    h = await createHarness({ engine: 'pglite' })
    const home = await h.services.web.request('/')
    expect(home.headers.get('strict-transport-security')).toBeNull()
    expect(securityOf(home)).toEqual({
      'content-security-policy': PAGE_CSP,
      'cross-origin-opener-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    })
    // A lesson's page is a page of the site, under the same strict policy.
    const lesson = await h.services.web.request(
      `/courses/avoiding-smp-regrets/lessons/${h.services.webDeps.content().courses[0]!.lessons[0]!.slug}`,
    )
    expect(securityOf(lesson)['content-security-policy']).toBe(PAGE_CSP)
    // An email shown in the local inbox keeps its inline styles, under a policy of its own.
    await postForm(h, '/subscribe', { email: 'csp@example.org', course: MAIN_COURSE })
    await h.services.sender.whenIdle()
    const [message] = await h.outbox()
    const frame = await h.services.web.request(`/dev/inbox/${path.basename(message!.file)}/html`)
    expect(frame.status).toBe(200)
    expect(frame.headers.get('content-security-policy')).toContain("style-src 'unsafe-inline'")
    expect(frame.headers.get('strict-transport-security')).toBeNull()
  })
})
