import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createResendMailer } from '../../src/mail/resend-mailer'
import { runCourseOn } from '../helpers/cli'
import { shortCourse } from '../helpers/course'
import { ENGINES } from '../helpers/db'
import { type FakeResend, startFakeResend } from '../helpers/fake-resend'
import type { Harness } from '../helpers/harness'
import { deliveryStates } from '../helpers/seed'

const T0 = '2027-01-04T12:00:00Z'

describe.each(ENGINES)('newsletter issues (%s)', (engine) => {
  let fake: FakeResend
  let h: Harness
  beforeAll(async () => {
    fake = await startFakeResend()
  })
  afterAll(async () => {
    await fake.close()
  })
  beforeEach(async () => {
    fake.reset()
    h = await shortCourse({
      engine,
      start: T0,
      env: { SEND_BATCH_SIZE: '7' },
      mailer: () => createResendMailer({ apiKey: 're_test', baseUrl: fake.url, timeoutMs: 2000 }),
    })
    // A list with every kind of subscriber.
    await h.db.query(
      `insert into subscribers (email, email_key, status, newsletter_opt_in, created_at, updated_at) values
       ('yes1@example.org', 'yes1@example.org', 'confirmed', true, $1, $1),
       ('yes2@example.org', 'yes2@example.org', 'confirmed', true, $1, $1),
       ('optout@example.org', 'optout@example.org', 'confirmed', false, $1, $1),
       ('pending@example.org', 'pending@example.org', 'pending', true, $1, $1),
       ('left@example.org', 'left@example.org', 'unsubscribed', true, $1, $1),
       ('bounced@example.org', 'bounced@example.org', 'bounced', true, $1, $1),
       ('complained@example.org', 'complained@example.org', 'complained', true, $1, $1)`,
      [new Date(T0)],
    )
    // A paused course does not stop the newsletter.
    await h.db.query(
      `insert into enrolments (subscriber_id, course, status, anchor_date, paused_at)
       select id, 'short', 'paused', '2027-01-01', $1 from subscribers where email_key = 'yes2@example.org'`,
      [new Date(T0)],
    )
    await h.db.query(
      `insert into subscribers (email, email_key, status, created_at, updated_at)
       select 'many' || n || '@example.org', 'many' || n || '@example.org', 'confirmed', $1, $1 from generate_series(1, 30) n`,
      [new Date(T0)],
    )
  })
  afterEach(async () => {
    await h.close()
  })
  const recipients = () =>
    new Set(fake.sent.filter((e) => e.tags.some((t) => t.name === 'newsletter')).map((e) => e.to[0]))

  it('--dry-run counts the recipients and shows a sample, sending nothing', async () => {
    const result = await runCourseOn(h, ['newsletter', 'send', 'autumn', '--dry-run'])
    expect(result.code).toBe(0)
    expect(result.out).toContain('would go to 32 subscriber(s)')
    expect(result.out).toContain('A newsletter body with a link <https://example.org/autumn>')
    expect(fake.sent).toHaveLength(0)
    expect(await deliveryStates(h.db, 'newsletter', 'autumn')).toEqual({})
  })

  it('refuses without --yes when there is no terminal to ask on, and sends nothing', async () => {
    const result = await runCourseOn(h, ['newsletter', 'send', 'autumn'])
    expect(result.code).toBe(3)
    expect(result.err).toContain('no terminal to ask on')
    expect(await deliveryStates(h.db, 'newsletter', 'autumn')).toEqual({})
  })

  it('asks on a terminal and sends only after "yes"', async () => {
    const no = await runCourseOn(h, ['newsletter', 'send', 'autumn'], { tty: true, input: 'no\n' })
    expect(no.code).toBe(3)
    expect(fake.sent).toHaveLength(0)
    const yes = await runCourseOn(h, ['newsletter', 'send', 'autumn'], { tty: true, input: 'yes\n' })
    expect(yes.code).toBe(0)
    expect(recipients().size).toBe(32)
  })

  it('sends once to every confirmed reader who wants it, and refuses to send the same issue again', async () => {
    const result = await runCourseOn(h, ['newsletter', 'send', 'autumn', '--yes'])
    expect(result.code, result.err).toBe(0)
    expect(result.out).toContain('"autumn": 32 sent, 0 skipped, 0 failed')
    const got = recipients()
    expect(got.size).toBe(32)
    expect(fake.sent.filter((e) => e.tags.some((t) => t.name === 'newsletter'))).toHaveLength(32)
    for (const address of [
      'optout@example.org',
      'pending@example.org',
      'left@example.org',
      'bounced@example.org',
      'complained@example.org',
    ]) {
      expect(got.has(address)).toBe(false)
    }
    expect(got.has('yes2@example.org')).toBe(true) // a paused course does not stop the newsletter
    const email = fake.sent.find((e) => e.to[0] === 'yes1@example.org')!
    expect(email.subject).toBe('News for autumn')
    expect(email.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click')
    expect(email.html).toContain('href="https://course.example.org/newsletters/autumn?from=email"')

    const again = await runCourseOn(h, ['newsletter', 'send', 'autumn', '--yes'])
    expect(again.code).toBe(3)
    expect(again.err).toMatch(/already sent .* --resend-to-new/)
    await h.db.query(
      `insert into subscribers (email, email_key, status, created_at, updated_at) values ('new@example.org', 'new@example.org', 'confirmed', $1, $1)`,
      [new Date(T0)],
    )
    // Someone whose copy was skipped (they had left by then) and who came back never got it either.
    await h.db.query(
      `insert into subscribers (email, email_key, status, created_at, updated_at) values ('back@example.org', 'back@example.org', 'confirmed', $1, $1)`,
      [new Date(T0)],
    )
    await h.db.query(
      `insert into deliveries (subscriber_id, kind, item, status, skip_reason, due_at, created_at, updated_at)
       select id, 'newsletter', 'autumn', 'skipped', 'subscriber unsubscribed', $1, $1, $1 from subscribers where email_key = 'back@example.org'`,
      [new Date(T0)],
    )
    // The count announced is who --resend-to-new sends to, not the 34 readers on the list.
    const dry = await runCourseOn(h, ['newsletter', 'send', 'autumn', '--resend-to-new', '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.out).toContain('would go to 2 subscriber(s)')
    const asked = await runCourseOn(h, ['newsletter', 'send', 'autumn', '--resend-to-new'], {
      tty: true,
      input: 'no\n',
    })
    expect(asked.code).toBe(3)
    expect(asked.err).toContain('to 2 subscriber(s) now (only those who never got it)?')
    const toNew = await runCourseOn(h, ['newsletter', 'send', 'autumn', '--yes', '--resend-to-new'])
    expect(toNew.code).toBe(0)
    expect(toNew.out).toContain('"autumn": 34 sent, 0 skipped, 0 failed')
    expect(fake.sent.filter((e) => e.tags.some((t) => t.name === 'newsletter'))).toHaveLength(34)
    for (const address of ['new@example.org', 'back@example.org'])
      expect(fake.sent.filter((e) => e.to[0] === address)).toHaveLength(1)
    expect(fake.sent.filter((e) => e.to[0] === 'yes1@example.org')).toHaveLength(1)
  })

  it('--test-to sends one [TEST] copy to one address only', async () => {
    const result = await runCourseOn(h, ['newsletter', 'send', 'autumn', '--test-to', 'editor@example.org'])
    expect(result.code).toBe(0)
    expect(fake.sent).toHaveLength(1)
    expect(fake.sent[0]).toMatchObject({ to: ['editor@example.org'], subject: '[TEST] News for autumn' })
    expect(await deliveryStates(h.db, 'newsletter', 'autumn')).toEqual({})
    const bad = await runCourseOn(h, ['newsletter', 'send', 'autumn', '--test-to', 'not-an-address'])
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('--test-to:')
  })

  it('says clearly what is wrong with the command line', async () => {
    expect((await runCourseOn(h, ['newsletter', 'send', 'nope', '--yes'])).err).toContain(
      'no newsletter issue "nope"',
    )
    expect((await runCourseOn(h, ['newsletter', 'send', 'autumn', '--at', 'tomorrow'])).err).toContain(
      '--at: "tomorrow" is not an ISO 8601',
    )
    expect((await runCourseOn(h, ['newsletter', 'send'])).code).toBe(2)
    expect((await runCourseOn(h, ['newsletter', 'send', 'autumn', '--bogus'])).code).toBe(2)
  })

  it('--at schedules the issue; the scheduler sends it then, to whoever wants it at that time', async () => {
    const result = await runCourseOn(h, [
      'newsletter',
      'send',
      'autumn',
      '--at',
      '2027-01-05T10:00:00Z',
      '--yes',
    ])
    expect(result.code).toBe(0)
    expect(result.out).toContain('scheduled')
    const tick = () => h.services.tick()
    await tick()
    expect(recipients().size).toBe(0)
    // Between scheduling and sending: one reader leaves, one joins.
    await h.db.query(`update subscribers set status = 'unsubscribed' where email_key = 'yes1@example.org'`)
    await h.db.query(
      `insert into subscribers (email, email_key, status, created_at, updated_at) values ('late@example.org', 'late@example.org', 'confirmed', $1, $1)`,
      [new Date(T0)],
    )
    h.clock.set('2027-01-05T10:00:30Z')
    await tick()
    const got = recipients()
    expect(got.size).toBe(32)
    expect(got.has('late@example.org')).toBe(true)
    expect(got.has('yes1@example.org')).toBe(false)
    const { rows } = await h.db.query<{ status: string }>(
      `select status from newsletter_sends where slug = 'autumn'`,
    )
    expect(rows[0]!.status).toBe('sent')
  })

  it('resumes after a crash mid-send with the rest only, and skips whoever unsubscribed meanwhile', async () => {
    // Queue the issue and send one batch, then stop as if the process died.
    await h.db.query(
      `insert into newsletter_sends (slug, status, scheduled_at, created_at) values ('autumn', 'sending', $1, $1)`,
      [new Date(T0)],
    )
    const { startIssue } = await import('../../src/newsletters/sends')
    await startIssue(h.db, 'autumn', h.clock.now())
    const { claimNewBatch } = await import('../../src/delivery/store/batches')
    const batch = await claimNewBatch(h.db, {
      workerId: 'dead',
      now: h.clock.now(),
      leaseMs: 60_000,
      limit: 7,
      filter: { kind: 'newsletter', item: 'autumn' },
    })
    await h.services.sender.processBatch(batch!)
    expect(recipients().size).toBe(7)
    await h.db.query(`update subscribers set status = 'unsubscribed' where email_key = 'many30@example.org'`)

    const resumed = await runCourseOn(h, ['newsletter', 'send', 'autumn', '--yes'])
    expect(resumed.code, resumed.err).toBe(0)
    expect(resumed.out).toContain('resuming with the rest only')
    expect(resumed.out).toContain('31 sent, 1 skipped, 0 failed')
    expect(resumed.out).toContain('skipped 1: subscriber unsubscribed')
    expect(fake.sent.filter((e) => e.tags.some((t) => t.name === 'newsletter'))).toHaveLength(31)
  })

  it('sends exactly once through injected provider faults', async () => {
    fake.inject({ type: 'status', status: 500 })
    fake.inject({ type: 'crash-after-accept' })
    fake.inject({ type: 'drop' })
    const first = await runCourseOn(h, ['newsletter', 'send', 'autumn', '--yes'])
    expect(first.out).toMatch(/still waiting/)
    for (let i = 0; i < 10 && (await deliveryStates(h.db, 'newsletter', 'autumn')).sent !== 32; i++) {
      h.clock.advance(2 * 60 * 60 * 1000)
      await h.tick()
    }
    expect(await deliveryStates(h.db, 'newsletter', 'autumn')).toEqual({ sent: 32 })
    const sent = fake.sent.filter((e) => e.tags.some((t) => t.name === 'newsletter')).map((e) => e.to[0])
    expect(sent).toHaveLength(32)
    expect(new Set(sent).size).toBe(32)
  })
})

describe('a newsletter on a lesson day', () => {
  /** Two readers: one whose second lesson is due on 2027-01-05 09:00 UTC, one with no course. */
  async function seedLessonDay(h: Harness) {
    const before = new Date('2027-01-04T09:00:00Z')
    await h.db.query(
      `insert into subscribers (email, email_key, status, timezone, created_at, updated_at) values
       ('lessonday@example.org', 'lessonday@example.org', 'confirmed', 'UTC', $1, $1),
       ('quiet@example.org', 'quiet@example.org', 'confirmed', 'UTC', $1, $1)`,
      [before],
    )
    await h.db.query(
      `insert into enrolments (subscriber_id, course, status, anchor_date, last_day, last_sent_on)
       select id, 'short', 'active', '2027-01-04', 0, '2027-01-04' from subscribers where email_key = 'lessonday@example.org'`,
    )
    await h.db.query(
      `insert into deliveries (subscriber_id, kind, course, item, status, due_at, created_at, updated_at)
       select id, 'lesson', 'short', 'second', 'queued', '2027-01-05T09:00:00Z', $1, $1 from subscribers where email_key = 'lessonday@example.org'`,
      [before],
    )
  }

  it('goes out the same day as the lesson by default (NEWSLETTER_SKIP_COURSE_DAY off)', async () => {
    const h = await shortCourse({ engine: 'pglite', start: '2027-01-05T09:00:00Z' })
    try {
      expect(h.config.schedule.newsletterSkipCourseDay).toBe(false)
      await seedLessonDay(h)
      const result = await runCourseOn(h, ['newsletter', 'send', 'autumn', '--yes'])
      expect(result.code, result.err).toBe(0)
      await h.tick() // the lesson due now
      const sentTo = (await h.outbox()).filter((m) => m.subject === 'News for autumn').map((m) => m.to)
      expect(sentTo.sort()).toEqual(['lessonday@example.org', 'quiet@example.org'])
      const { rows } = await h.db.query<{ kind: string; status: string; sent_at: Date | null }>(
        `select d.kind, d.status, d.sent_at from deliveries d join subscribers s on s.id = d.subscriber_id
         where s.email_key = 'lessonday@example.org' and d.item in ('second', 'autumn') order by d.kind`,
      )
      expect(rows.map((row) => [row.kind, row.status, row.sent_at?.toISOString().slice(0, 10)])).toEqual([
        ['lesson', 'sent', '2027-01-05'],
        ['newsletter', 'sent', '2027-01-05'],
      ])
    } finally {
      await h.close()
    }
  })

  it('is held until the next day for readers who get a lesson that day, when NEWSLETTER_SKIP_COURSE_DAY is on', async () => {
    const h = await shortCourse({
      engine: 'pglite',
      start: '2027-01-05T09:00:00Z',
      env: { NEWSLETTER_SKIP_COURSE_DAY: 'true' },
    })
    try {
      await seedLessonDay(h)
      const result = await runCourseOn(h, ['newsletter', 'send', 'autumn', '--yes'])
      expect(result.code, result.err).toBe(0)
      const sentTo = async () =>
        (await h.outbox()).filter((m) => m.subject === 'News for autumn').map((m) => m.to)
      expect(await sentTo()).toEqual(['quiet@example.org'])
      const held = await h.db.query<{ due_at: Date }>(
        `select due_at from deliveries where kind = 'newsletter' and status = 'queued'`,
      )
      expect(held.rows[0]!.due_at.toISOString()).toBe('2027-01-06T09:00:00.000Z')
      h.clock.set('2027-01-06T09:00:00Z')
      await h.tick()
      expect((await sentTo()).sort()).toEqual(['lessonday@example.org', 'quiet@example.org'])
    } finally {
      await h.close()
    }
  })
})
