import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'
import { MAIN_COURSE } from '../helpers/web'

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

  const mainCourse = () => h.services.webDeps.content().courses.find((c) => c.slug === MAIN_COURSE)!

  it('sends the confirmation, then lesson day 0 on confirming, then the next lesson on its day', async () => {
    const response = await form({
      email: 'Reader@Example.org',
      name: 'Robin',
      timezone: 'Europe/London',
      course: MAIN_COURSE,
    })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/subscribe/thanks')
    await h.services.sender.whenIdle()

    const [confirmation] = await h.outbox()
    expect(confirmation?.subject).toContain('Confirm')
    expect(confirmation?.to).toBe('Reader@example.org')
    const link = confirmation!.link('/confirm')!
    expect(link).toMatch(/^https:\/\/course\.example\.org\/confirm\?token=[^&]+&course=avoiding-smp-regrets$/)

    // The GET only shows a button (link scanners follow GETs); nothing is confirmed yet.
    const page = await h.services.web.request(link.replace('https://course.example.org', ''))
    expect(page.status).toBe(200)
    const shown = await page.text()
    expect(shown).toContain('Confirm my subscription')
    expect(shown).toContain('<strong>Avoiding SMP regrets</strong>')
    expect(shown).toContain('<input type="hidden" name="course" value="avoiding-smp-regrets">')
    const before = await h.db.query<{ status: string }>('select status from subscribers')
    expect(before.rows[0]?.status).toBe('pending')

    const confirmed = await h.services.web.request('/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URL(link).searchParams.toString(),
    })
    expect(confirmed.status).toBe(200)
    await h.services.sender.whenIdle()
    let mail = await h.outbox()
    expect(mail).toHaveLength(2)
    expect(mail[1]!.subject).toBe(mainCourse().lessons[0]!.subject)
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
    expect(mail[2]!.subject).toBe(mainCourse().lessons[1]!.subject)
  })
})

describe.each(ENGINES)('confirmations of a burst of signups (%s)', (engine) => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness({ engine, env: { SUBSCRIBE_RATE_LIMIT: '100000' } })
  })
  afterEach(async () => {
    await h.close()
  })

  it('go out together, in fewer batches than signups, each exactly once', async () => {
    const count = 40
    const answers = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        h.services.web.request('/subscribe', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ email: `burst${i}@example.org`, course: MAIN_COURSE }).toString(),
        }),
      ),
    )
    expect(answers.map((r) => r.status)).toEqual(Array(count).fill(303))
    await h.services.sender.whenIdle()

    const sent = await h.outbox()
    expect(sent.map((m) => m.to).sort()).toEqual(
      Array.from({ length: count }, (_, i) => `burst${i}@example.org`).sort(),
    )
    const { rows } = await h.db.query<{ batches: number; unsent: number }>(
      `select (select count(*)::int from send_batches) as batches,
              (select count(*)::int from deliveries where kind = 'confirmation' and sent_at is null) as unsent`,
    )
    expect(rows[0]!.unsent).toBe(0)
    // Asks that arrive while a send is in flight wait for the next one and go together.
    expect(rows[0]!.batches).toBeLessThan(count)
  })
})
