import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'

describe.each(ENGINES)('signup to first lessons (%s)', (engine) => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness({ engine })
  })
  afterEach(async () => {
    await h.close()
  })

  const form = (fields: Record<string, string>) =>
    h.services.web.request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    })

  it('sends the confirmation, then lesson day 0 on confirming, then the next lesson on its day', async () => {
    const response = await form({ email: 'Reader@Example.org', name: 'Robin', timezone: 'Europe/London' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/subscribe/thanks')
    await h.services.sender.whenIdle()

    const [confirmation] = await h.outbox()
    expect(confirmation?.subject).toContain('Confirm')
    expect(confirmation?.to).toBe('Reader@example.org')
    const link = confirmation!.link('/confirm')!
    expect(link).toMatch(/^https:\/\/course\.example\.org\/confirm\?token=/)

    // The GET only shows a button (link scanners follow GETs); nothing is confirmed yet.
    const token = new URL(link).searchParams.get('token')!
    const page = await h.services.web.request(`/confirm?token=${encodeURIComponent(token)}`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Confirm my subscription')
    const before = await h.db.query<{ status: string }>('select status from subscribers')
    expect(before.rows[0]?.status).toBe('pending')

    const confirmed = await h.services.web.request('/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    })
    expect(confirmed.status).toBe(200)
    await h.services.sender.whenIdle()
    let mail = await h.outbox()
    expect(mail).toHaveLength(2)
    expect(mail[1]!.subject).toBe(h.services.webDeps.content().lessons[0]!.subject)
    expect(mail[1]!.header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click')
    expect(mail[1]!.html).toContain('Hi Robin,')

    // Nothing more until the next lesson's day (day 2 at 09:00 London).
    h.clock.advanceDays(1)
    await h.tick()
    expect(await h.outbox()).toHaveLength(2)
    h.clock.set('2027-01-06T09:00:00Z')
    await h.tick()
    mail = await h.outbox()
    expect(mail).toHaveLength(3)
    expect(mail[2]!.subject).toBe(h.services.webDeps.content().lessons[1]!.subject)
  })
})
