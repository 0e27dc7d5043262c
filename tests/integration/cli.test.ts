import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createResendMailer } from '../../src/mail/resend-mailer'
import { runCourse, runCourseOn } from '../helpers/cli'
import { shortCourse, subscribeAndConfirm } from '../helpers/course'
import { startFakeResend } from '../helpers/fake-resend'
import type { Harness } from '../helpers/harness'
import { REPO_ROOT } from '../helpers/harness'
import { seedDueReaders } from '../helpers/seed'

describe('the course CLI', () => {
  let h: Harness
  beforeEach(async () => {
    h = await shortCourse({ engine: 'pglite', start: '2027-03-10T15:00:00Z' })
  })
  afterEach(async () => {
    await h.close()
  })

  it('prints usage and exits 2 for unknown commands and bad options', async () => {
    const unknown = await runCourse(['frobnicate'], {}, REPO_ROOT)
    expect(unknown.code).toBe(2)
    expect(unknown.err).toContain('unknown command "frobnicate"')
    expect(unknown.err).toContain('course run-due [--at ISO]')
    const help = await runCourse(['help'], {}, REPO_ROOT)
    expect(help.code).toBe(0)
    expect(help.out).toContain('course newsletter send <slug>')
    const badOption = await runCourseOn(h, ['status', '--verbose'])
    expect(badOption.code).toBe(2)
    expect(badOption.err).toContain("Unknown option '--verbose'")
    const badConfig = await runCourse(['build'], { SEND_HOUR: '99' }, REPO_ROOT)
    expect(badConfig.code).toBe(2)
    expect(badConfig.err).toContain('SEND_HOUR: expected a whole number from 0 to 23')
  })

  it('simulates the timeline for a time zone, across a daylight-saving change', async () => {
    const result = await runCourseOn(h, [
      'simulate',
      '--timezone',
      'America/New_York',
      '--confirmed-at',
      '2027-03-10T15:00:00Z',
    ])
    expect(result.code).toBe(0)
    expect(result.out).toMatch(/0\s+start\s+Wed 2027-03-10 10:00 EST\s+2027-03-10T15:00:00Z/)
    expect(result.out).toMatch(/3\s+third\s+Sat 2027-03-13 09:00 EST\s+2027-03-13T14:00:00Z/)
    expect(result.out).toMatch(/5\s+fourth\s+Mon 2027-03-15 09:00 EDT\s+2027-03-15T13:00:00Z/)
    const bad = await runCourseOn(h, [
      'simulate',
      '--timezone',
      'Moon/Base',
      '--confirmed-at',
      '2027-03-10T15:00:00Z',
    ])
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('"Moon/Base" is not an IANA time zone')
  })

  it('simulates a real subscriber: what was sent and what is planned', async () => {
    await subscribeAndConfirm(h, 'sim@example.org', { timezone: 'Europe/Paris' })
    const result = await runCourseOn(h, ['simulate', '--email', 'sim@example.org'])
    expect(result.code).toBe(0)
    expect(result.out).toContain('sim@example.org: confirmed, time zone Europe/Paris')
    expect(result.out).toMatch(/start\s+.*\s+sent/)
    expect(result.out).toMatch(/second\s+Thu 2027-03-11 09:00 GMT\+1\s+2027-03-11T08:00:00Z\s+queued/)
    expect(result.out).toMatch(/fourth\s+.*planned/)
    expect((await runCourseOn(h, ['simulate', '--email', 'nobody@example.org'])).code).toBe(1)
  })

  it('runs one tick as if at a given time, and reports status per lesson and state', async () => {
    await seedDueReaders(h.db, { count: 3, item: 'start', dueAt: new Date('2027-03-10T15:00:00Z') })
    const early = await runCourseOn(h, ['run-due', '--at', '2027-03-10T14:00:00Z'])
    expect(early.code).toBe(0)
    expect(early.out).toContain('0 sent')
    const due = await runCourseOn(h, ['run-due', '--at', '2027-03-10T15:30:00Z'])
    expect(due.code).toBe(0)
    expect(due.out).toContain('tick at 2027-03-10T15:30:00.000Z: 3 sent, 0 failed')
    // Progress goes to stderr (a plain line, not a terminal here), so stdout stays the summary alone.
    expect(due.err).toMatch(/^sending: 3\/3 100% .* in \d+s$/m)
    const status = await runCourseOn(h, ['status'])
    expect(status.out).toMatch(/confirmed\s+3/)
    expect(status.out).toMatch(/short\s+active\s+3/)
    expect(status.out).toMatch(/lesson\s+short\s+start\s+sent\s+3/)
    expect(status.out).toMatch(/lesson\s+short\s+second\s+queued\s+3\s+2027-03-11T09:00:00.000Z/)
    const json = JSON.parse((await runCourseOn(h, ['status', '--json'])).out)
    expect(json.deliveries).toContainEqual(
      expect.objectContaining({ kind: 'lesson', item: 'start', status: 'sent', n: 3 }),
    )
    expect((await runCourseOn(h, ['run-due', '--at', 'soon'])).code).toBe(2)
  })

  it('run-due exits 1 when emails fail for good or sending is paused, so scripts notice', async () => {
    const fake = await startFakeResend()
    const resend = await shortCourse({
      engine: 'pglite',
      start: '2027-03-10T15:00:00Z',
      mailer: () => createResendMailer({ apiKey: 're_test', baseUrl: fake.url }),
    })
    try {
      const dueAt = new Date('2027-03-10T15:00:00Z')
      await seedDueReaders(resend.db, { count: 2, item: 'start', dueAt })
      fake.inject({ fault: { type: 'status', status: 422, message: 'bad request' }, times: 1 })
      const failed = await runCourseOn(resend, ['run-due', '--at', '2027-03-10T15:30:00Z'])
      expect(failed.out).toContain('0 sent, 2 failed')
      expect(failed.code).toBe(1)

      await seedDueReaders(resend.db, { count: 2, item: 'start', dueAt, prefix: 'later' })
      fake.setQuota('daily')
      const paused = await runCourseOn(resend, ['run-due', '--at', '2027-03-10T15:31:00Z'])
      expect(paused.err).toMatch(/sending is paused until \S+: .*daily/)
      expect(paused.code).toBe(1)
      expect(fake.sent).toHaveLength(0)
    } finally {
      await resend.close()
      await fake.close()
    }
  })
})
