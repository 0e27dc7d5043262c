import { userInfo } from 'node:os'
import type { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuditEntry, cliActor, listAudit, recordAudit } from '../../src/audit/log'
import { adminRoutesWith } from '../../src/web/admin/routes'
import { createWebApp } from '../../src/web/app'
import { runCourseOn } from '../helpers/cli'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'
import { subscribeAndConfirm } from '../helpers/web'

const TOKEN = 'admin-token-0123456789abcdef'
const ORIGIN = 'https://course.example.org'
const COURSE = 'avoiding-smp-regrets'

describe.each(ENGINES)('the audit log, shared by the CLI and the admin (%s)', (engine) => {
  let h: Harness
  let app: Hono
  let ada: number
  let bob: number
  let cy: number
  const cli = `cli:${userInfo().username}`

  const post = (path: string, fields: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        origin: ORIGIN,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(fields).toString(),
    })
  const page = async (path: string) =>
    (await app.request(path, { headers: { authorization: `Bearer ${TOKEN}` } })).text()

  beforeAll(async () => {
    h = await createHarness({ engine, env: { ADMIN_TOKEN: TOKEN } })
    app = createWebApp(h.services.webDeps, [adminRoutesWith({ mailer: h.mailer })])
    ada = (await subscribeAndConfirm(h, 'ada@example.net', { course: COURSE })).id
    bob = (await subscribeAndConfirm(h, 'bob@example.net', { course: COURSE })).id
    cy = (await subscribeAndConfirm(h, 'cy@example.net', { course: COURSE })).id

    // The same kinds of action from both sides, the clock moving between them.
    expect((await runCourseOn(h, ['subscribers', 'show', 'ada@example.net'])).code).toBe(0)
    h.clock.advance(60_000)
    expect((await runCourseOn(h, ['subscribers', 'unsubscribe', 'ada@example.net'])).code).toBe(0)
    h.clock.advance(60_000)
    expect((await post(`/admin/readers/${bob}/course`, { course: COURSE, action: 'pause' })).status).toBe(303)
    h.clock.advance(60_000)
    expect((await post(`/admin/readers/${bob}/unsubscribe`)).status).toBe(303)
    h.clock.advance(60_000)
    expect((await runCourseOn(h, ['subscribers', 'erase', 'cy@example.net', '--yes'])).code).toBe(0)
    h.clock.advance(60_000)
    expect((await post(`/admin/readers/${ada}/erase`, { confirm: 'ada@example.net' })).status).toBe(200)
    const test = await runCourseOn(h, [
      'newsletter',
      'send',
      'healed-results',
      '--test-to',
      'editor@example.net',
    ])
    expect(test.code).toBe(0)
  })
  afterAll(async () => {
    await h?.close()
  })

  const all = async () => (await listAudit(h.db, { limit: 100 })).reverse()

  it('records who did what to whom, and when, from either side', async () => {
    const entries = await all()
    // When: the time of the clock they ran on (whole minutes apart here; throttle waits add a few ms).
    const start = entries[0]!.at.getTime()
    const minutes = (e: AuditEntry) => Math.round((e.at.getTime() - start) / 60_000)
    expect(entries.slice(0, 6).map((e) => [e.actor, e.action, e.subscriber_id, minutes(e)])).toEqual([
      [cli, 'subscriber.show', ada, 0],
      [cli, 'subscriber.unsubscribe', ada, 1],
      ['admin', 'subscriber.course', bob, 2],
      ['admin', 'subscriber.unsubscribe', bob, 3],
      [cli, 'subscriber.erase', cy, 4],
      ['admin', 'subscriber.erase', ada, 5],
    ])
    expect(entries[2]).toMatchObject({ target: COURSE, detail: { action: 'pause', changed: true } })
    expect(entries[4]!.detail).toMatchObject({ enrolments: 1 })
    // The CLI's test copy (on the CLI's own clock) names the issue and the address, masked.
    expect(entries[6]).toMatchObject({
      actor: cli,
      action: 'newsletter.test',
      target: 'healed-results',
      detail: { to: 'ed…@example.net' },
    })
    expect(cliActor()).toBe(cli)
  })

  it('keeps nothing personal: readers by id only, so an erasure leaves no address behind', async () => {
    const { rows } = await h.db.query<{ row: string }>('select row_to_json(a)::text as row from audit_log a')
    for (const { row } of rows)
      for (const address of ['ada@', 'bob@', 'cy@', 'editor@']) expect(row).not.toContain(address)
    expect(
      (await h.db.query('select 1 from subscribers where id = any($1::bigint[])', [[ada, cy]])).rows,
    ).toEqual([])
  })

  it('lists the entries newest first, by pages, and by reader', async () => {
    const newest = await listAudit(h.db, { limit: 2 })
    expect(newest.map((e) => e.action)).toEqual(['newsletter.test', 'subscriber.erase'])
    const older = await listAudit(h.db, { limit: 2, before: newest[1]!.id })
    expect(older.map((e) => e.action)).toEqual(['subscriber.erase', 'subscriber.unsubscribe'])
    const ofBob = await listAudit(h.db, { limit: 10, subscriberId: bob })
    expect(ofBob.map((e: AuditEntry) => e.action)).toEqual(['subscriber.unsubscribe', 'subscriber.course'])
  })

  it('shows the log in the admin, and each reader’s own entries on their page', async () => {
    const log = await page('/admin/audit')
    expect(log).toContain('<td data-label="Who">admin</td>')
    expect(log).toContain(`<td data-label="Who">${cli}</td>`)
    expect(log).toContain(`unsubscribed <a href="/admin/readers/${bob}">reader #${bob}</a>`)
    expect(log).toContain('pause course avoiding-smp-regrets of')
    expect(log).toContain('2027-01-04 08:02 UTC')
    const bobs = await page(`/admin/readers/${bob}`)
    expect(bobs).toContain('<h2>Audit log</h2>')
    expect(bobs.match(/<td data-label="Who">admin<\/td>/g)).toHaveLength(2)
  })

  it('pages through a long log by id', async () => {
    for (let i = 0; i < 60; i++)
      await recordAudit(
        h.db,
        { actor: 'admin', action: 'subscriber.export', subscriberId: bob },
        h.clock.now(),
      )
    const first = await page('/admin/audit')
    const next = /<a href="(\/admin\/audit\?before=\d+)" rel="next">Older entries<\/a>/.exec(first)?.[1]
    expect(next).toBeDefined()
    const second = await page(next!)
    expect(second).toContain('showed the data of')
    expect(second).not.toContain('Older entries')
  })
})
