import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { change, readOverview } from '../../src/stats/overview'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'

const TOKEN = 'admin-token-0123456789abcdef'

describe('change', () => {
  it('says how a figure moved against the week before', () => {
    expect(change(4, 2)).toBe('+100 %')
    expect(change(1, 4)).toBe('−75 %')
    expect(change(3, 3)).toBe('same')
    expect(change(2, 0)).toBe('new')
  })
})

describe.each(ENGINES)('the overview figures (%s)', (engine) => {
  let h: Harness

  beforeAll(async () => {
    // The harness clock says 2027-01-04T08:00Z: "this week" is from 2026-12-28T08:00, the week before
    // from 2026-12-21T08:00, "today" from 2027-01-04T00:00 UTC.
    h = await createHarness({ engine, env: { ADMIN_TOKEN: TOKEN } })
    const person = async (email: string, status: string, createdAt: string, confirmedAt: string | null) => {
      const { rows } = await h.db.query<{ id: number }>(
        `insert into subscribers (email, email_key, status, created_at, updated_at, confirmed_at)
         values ($1, $1, $2, $3, $3, $4) returning id`,
        [email, status, createdAt, confirmedAt],
      )
      return rows[0]!.id
    }
    const a = await person('a@example.org', 'confirmed', '2027-01-03T10:00:00Z', '2027-01-03T10:05:00Z')
    const b = await person('b@example.org', 'confirmed', '2027-01-02T10:00:00Z', '2027-01-03T11:00:00Z')
    await person('c@example.org', 'pending', '2027-01-04T07:59:00Z', null)
    await person('d@example.org', 'unsubscribed', '2026-12-25T10:00:00Z', '2026-12-26T10:00:00Z')
    await person('e@example.org', 'complained', '2026-12-10T10:00:00Z', '2026-12-10T11:00:00Z')
    // After "now": not counted in this week yet.
    await person('f@example.org', 'pending', '2027-01-04T09:00:00Z', null)
    const email = (
      id: number,
      kind: string,
      item: string,
      sentAt: string,
      signal: 'bounced' | 'complained' | null = null,
    ) =>
      h.db.query(
        `insert into deliveries (subscriber_id, kind, course, item, status, due_at, created_at, updated_at, sent_at,
           bounced_at, complained_at)
         values ($1, $2, $3, $4, 'sent', $5, $5, $5, $5, $6, $7)`,
        [
          id,
          kind,
          kind === 'newsletter' ? null : 'avoiding-smp-regrets',
          item,
          sentAt,
          signal === 'bounced' ? sentAt : null,
          signal === 'complained' ? sentAt : null,
        ],
      )
    // Today: three lessons and a confirmation. Yesterday: two issues, one bounced, one complained.
    // Forty days ago: outside the 30 days of the rates.
    await email(a, 'lesson', 'welcome', '2027-01-04T07:00:00Z')
    await email(b, 'lesson', 'welcome', '2027-01-04T07:30:00Z')
    await email(a, 'lesson', 'is-smp-for-you', '2027-01-04T00:00:00Z')
    await email(b, 'confirmation', 'c1', '2027-01-04T06:00:00Z')
    await email(a, 'newsletter', 'healed-results', '2027-01-03T09:00:00Z', 'bounced')
    await email(b, 'newsletter', 'healed-results', '2027-01-03T09:00:00Z', 'complained')
    await email(a, 'lesson', 'aftercare', '2026-11-25T09:00:00Z', 'complained')
    await email(b, 'lesson', 'aftercare', '2026-11-25T09:00:00Z')
  })
  afterAll(async () => {
    await h?.close()
  })

  it('counts readers by state, this week against the week before, mail sent today, and the recent rates', async () => {
    const overview = await readOverview(h.db, h.clock.now())
    expect(overview.readers).toEqual([
      { status: 'pending', count: 2 },
      { status: 'confirmed', count: 2 },
      { status: 'unsubscribed', count: 1 },
      { status: 'bounced', count: 0 },
      { status: 'complained', count: 1 },
    ])
    expect(overview.thisWeek).toEqual({ signups: 3, confirmations: 2 })
    expect(overview.lastWeek).toEqual({ signups: 1, confirmations: 1 })
    expect(overview.sentToday).toBe(4)
    expect(overview.sentTodayByKind).toEqual({ confirmation: 1, lesson: 3 })
    expect(overview.recent).toEqual({
      days: 30,
      sent: 6,
      bounced: 1,
      complained: 1,
      bounceRate: 1 / 6,
      complaintRate: 1 / 6,
    })
  })

  it('answers zeros, not NaN, on an empty list', async () => {
    const later = await readOverview(h.db, new Date('2030-01-01T00:00:00Z'))
    expect(later.sentToday).toBe(0)
    expect(later.recent).toMatchObject({ sent: 0, bounceRate: 0, complaintRate: 0 })
    expect(later.thisWeek).toEqual({ signups: 0, confirmations: 0 })
  })

  it('puts the headline numbers at the top of the admin, with the complaint line', async () => {
    const response = await h.services.web.request('/admin', { headers: { authorization: `Bearer ${TOKEN}` } })
    const page = await response.text()
    expect(response.status).toBe(200)
    expect(page).toContain('<dt>Waiting to confirm</dt><dd><a href="/admin/readers?state=pending">2</a></dd>')
    expect(page).toContain('3<small>last week 1 (+200 %)</small>')
    expect(page).toContain('4<small>confirmation 1, lesson 3</small>')
    expect(page).toContain('16.67 % of those sent')
    expect(page).toContain('Over the 0.3 % limit')
    expect(page.indexOf('Emails sent today')).toBeLessThan(page.indexOf('Signups per day'))
  })
})
