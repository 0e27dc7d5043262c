import { createHash } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { claimNewBatch } from '../../src/delivery/store/batches'
import { createOutboxMailer } from '../../src/mail/outbox-mailer'
import { createResendMailer } from '../../src/mail/resend-mailer'
import { resubscribe, unsubscribe } from '../../src/subscribers/preferences'
import { runCourseOn } from '../helpers/cli'
import { sentLessons, shortCourse, subscribeAndConfirm } from '../helpers/course'
import { ENGINES } from '../helpers/db'
import { FakeClock } from '../helpers/fake-clock'
import { type FakeResend, startFakeResend } from '../helpers/fake-resend'
import type { Harness } from '../helpers/harness'
import { readOutbox } from '../helpers/outbox'
import { seedDueReaders } from '../helpers/seed'
import { postForm } from '../helpers/web'

describe.each(ENGINES)('edge cases of the drip engine (%s)', (engine) => {
  let h: Harness
  let fake: FakeResend
  beforeAll(async () => {
    fake = await startFakeResend()
  })
  afterAll(async () => {
    await fake.close()
  })
  afterEach(async () => {
    await h.close()
  })

  it('someone who leaves while their lesson is claimed, then comes back, continues the course', async () => {
    h = await shortCourse({ engine, start: '2027-01-04T10:00:00Z' })
    const { id } = await subscribeAndConfirm(h, 'back@example.org')
    h.clock.set('2027-01-05T09:00:00Z')
    const batch = await claimNewBatch(h.db, {
      workerId: 'w',
      now: h.clock.now(),
      leaseMs: 60_000,
      limit: 10,
      filter: null,
    })
    await unsubscribe(h.services.subscribers, id, 'test')
    await h.services.sender.processBatch(batch!)
    expect((await sentLessons(h)).map((s) => s.item)).toEqual(['start'])
    h.clock.set('2027-01-06T08:00:00Z')
    await resubscribe(h.services.subscribers, id)
    h.clock.set('2027-01-20T00:00:00Z')
    for (let i = 0; i < 10; i++) {
      h.clock.advanceDays(1)
      await h.tick()
    }
    expect((await sentLessons(h)).map((s) => s.item)).toEqual(['start', 'second', 'third', 'fourth'])
  })

  it('limits confirmation emails to an address that complained or bounced to one a month', async () => {
    h = await shortCourse({ engine, start: '2027-01-04T10:00:00Z', env: { SUBSCRIBE_RATE_LIMIT: '1000' } })
    const { id } = await subscribeAndConfirm(h, 'annoyed@example.org')
    await h.db.query(`update subscribers set status = 'complained', unsubscribed_at = $2 where id = $1`, [
      id,
      h.clock.now(),
    ])
    const confirmations = async () => (await h.outbox()).filter((m) => m.subject.includes('Confirm')).length
    const before = await confirmations()
    for (let i = 0; i < 3; i++) {
      h.clock.advance(11 * 60 * 1000)
      await postForm(h, '/subscribe', { email: 'annoyed@example.org' })
      await h.services.sender.whenIdle()
    }
    // The first request after the complaint is answered (they may really be coming back); the
    // next waits a month, and those after it add nothing.
    expect(await confirmations()).toBe(before + 1)
    // The second request waited its month, and goes then; the one after that waits its own turn.
    h.clock.advanceDays(31)
    for (let i = 0; i < 2; i++) {
      await postForm(h, '/subscribe', { email: 'annoyed@example.org' })
      await h.tick()
      h.clock.advance(11 * 60 * 1000)
    }
    expect(await confirmations()).toBe(before + 2)
  })

  it('takes a claim lease on real time, whatever time run-due pretends it is', async () => {
    h = await shortCourse({ engine, start: '2027-01-04T10:00:00Z' })
    await seedDueReaders(h.db, { count: 1, item: 'start', dueAt: new Date('2020-01-01T00:00:00Z') })
    const batch = await claimNewBatch(h.db, {
      workerId: 'w',
      now: new Date('2020-06-01T00:00:00Z'),
      realNow: new Date('2027-01-04T10:00:00Z'),
      leaseMs: 60_000,
      limit: 5,
      filter: null,
    })
    const { rows } = await h.db.query<{ lease_until: Date }>(
      'select lease_until from send_batches where id = $1',
      [batch!.id],
    )
    expect(rows[0]!.lease_until.toISOString()).toBe('2027-01-04T10:01:00.000Z')
  })

  it('retries an attempted batch on the same endpoint even after a member was erased', async () => {
    fake.reset()
    h = await shortCourse({
      engine,
      start: '2027-01-04T10:00:00Z',
      mailer: () => createResendMailer({ apiKey: 're_test', baseUrl: fake.url }),
    })
    await seedDueReaders(h.db, { count: 2, item: 'start', dueAt: new Date('2027-01-04T09:00:00Z') })
    fake.inject({ type: 'drop' })
    await h.tick()
    await h.db.query(`delete from subscribers where email_key = 'reader1@example.org'`)
    h.clock.advance(60 * 60 * 1000)
    await h.tick()
    expect(fake.requests.map((r) => r.path)).toEqual(['/emails/batch', '/emails/batch'])
    expect(fake.sent.map((e) => e.to[0])).toEqual(['reader2@example.org'])
  })

  it('unsubscribes one person from the command line (requests sent to the mailto address)', async () => {
    h = await shortCourse({ engine, start: '2027-01-04T10:00:00Z' })
    await subscribeAndConfirm(h, 'mailto@example.org')
    const result = await runCourseOn(h, ['subscribers', 'unsubscribe', 'MAILTO@example.org'])
    expect(result.code, result.err).toBe(0)
    expect(result.out).toContain('unsubscribed')
    expect((await runCourseOn(h, ['subscribers', 'unsubscribe', 'nobody@example.org'])).code).toBe(1)
  })
})

describe('the outbox transport', () => {
  it('keys each message by its delivery, so a smaller retry never takes over another member’s message', async () => {
    const { mkdtempSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const path = await import('node:path')
    const dir = mkdtempSync(path.join(tmpdir(), 'course-outbox-'))
    const mailer = createOutboxMailer(dir, new FakeClock())
    const email = (to: string, ref: string) => ({
      from: 'c@mail.example.org',
      to,
      subject: `for ${to}`,
      html: '<p>x</p>',
      text: 'x',
      headers: {},
      tags: [],
      ref,
    })
    const first = await mailer.sendBatch([email('a@example.org', '1'), email('b@example.org', '2')], {
      idempotencyKey: 'k',
    })
    const retry = await mailer.sendBatch([email('b@example.org', '2')], { idempotencyKey: 'k' })
    expect(first.ok && retry.ok && retry.items[0]).toEqual(first.ok && first.items[1])
    expect((await readOutbox(dir)).map((m) => m.to).sort()).toEqual(['a@example.org', 'b@example.org'])
  })

  it('fails a batch it could not write whole as retryable, and its retry writes each message once', async () => {
    const { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const path = await import('node:path')
    const dir = mkdtempSync(path.join(tmpdir(), 'course-outbox-'))
    const mailer = createOutboxMailer(dir, new FakeClock())
    const emails = Array.from({ length: 12 }, (_, i) => ({
      from: 'c@mail.example.org',
      to: `r${i}@example.org`,
      subject: `for r${i}`,
      html: '<p>x</p>',
      text: 'x',
      headers: {},
      tags: [],
      ref: String(i),
    }))
    // One message's place in new/ is taken by a folder: its rename fails, the others go through.
    const names = () => readdirSync(path.join(dir, 'new'))
    const probe = await mailer.sendBatch([emails[5]!], { idempotencyKey: 'probe' })
    expect(probe.ok).toBe(true)
    const name = (ref: string) => `${createHash('sha256').update(`k#${ref}`).digest('hex').slice(0, 32)}.eml`
    mkdirSync(path.join(dir, 'new', name('5')))
    writeFileSync(path.join(dir, 'new', name('5'), 'x'), 'x')
    const failed = await mailer.sendBatch(emails, { idempotencyKey: 'k' })
    expect(failed).toMatchObject({ ok: false, retryable: true, code: 'outbox_write_failed' })
    expect(readdirSync(path.join(dir, '.keys'))).toHaveLength(1) // only the probe's marker
    rmSync(path.join(dir, 'new', name('5')), { recursive: true })
    const retried = await mailer.sendBatch(emails, { idempotencyKey: 'k' })
    expect(retried.ok).toBe(true)
    // Every message of the batch once (the probe's copy of r5 is its own), none twice.
    expect(names()).toHaveLength(13)
    const received = (await readOutbox(dir)).map((m) => m.to)
    expect(received.sort()).toEqual([...emails.map((e) => e.to), 'r5@example.org'].sort())
  })
})
