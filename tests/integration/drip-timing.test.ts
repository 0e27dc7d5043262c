import { unlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { claimNewBatch } from '../../src/delivery/store/batches'
import { changeCourse } from '../../src/subscribers/preferences'
import { runUntil, SHORT, sentLessons, shortCourse, subscribeAndConfirm } from '../helpers/course'
import { ENGINES } from '../helpers/db'
import type { Harness } from '../helpers/harness'

describe.each(ENGINES)('the drip schedule (%s)', (engine) => {
  let h: Harness & { lessonsDir: string; courseDir: string }
  afterEach(async () => {
    await h.close()
  })

  it('sends each lesson at 09:00 in each reader’s own time zone, day 0 right away', async () => {
    h = await shortCourse({ engine, start: '2027-01-04T10:00:00Z' })
    await subscribeAndConfirm(h, 'tokyo@example.org', { timezone: 'Asia/Tokyo' })
    await subscribeAndConfirm(h, 'la@example.org', { timezone: 'America/Los_Angeles' })
    await runUntil(h, '2027-01-11T00:00:00Z', 30)
    const sent = await sentLessons(h)
    const of = (email: string) => sent.filter((s) => s.email === email).map((s) => `${s.item} ${s.local}`)
    expect(of('tokyo@example.org')).toEqual([
      'start 2027-01-04 19:00', // confirmed 19:00 Tokyo time
      'second 2027-01-05 09:00',
      'third 2027-01-07 09:00',
      'fourth 2027-01-09 09:00',
    ])
    expect(of('la@example.org')).toEqual([
      'start 2027-01-04 02:00',
      'second 2027-01-05 09:00',
      'third 2027-01-07 09:00',
      'fourth 2027-01-09 09:00',
    ])
    // Exactly once each, whatever the number of ticks.
    expect(sent).toHaveLength(8)
  })

  it('skips disallowed weekdays and never sends two lessons on one local day', async () => {
    h = await shortCourse({ engine, start: '2027-01-07T10:00:00Z', env: { SEND_DAYS: 'mon-fri' } }) // a Thursday
    await subscribeAndConfirm(h, 'weekdays@example.org')
    await runUntil(h, '2027-01-20T00:00:00Z', 60)
    const local = (await sentLessons(h)).map((s) => `${s.item} ${s.local}`)
    // day 1 = Fri 8th; day 3 = Sun 10th → Mon 11th; day 5 = Tue 12th
    expect(local).toEqual([
      'start 2027-01-07 10:00',
      'second 2027-01-08 09:00',
      'third 2027-01-11 09:00',
      'fourth 2027-01-12 09:00',
    ])
  })

  it('after downtime catches up one lesson a day, never as a burst', async () => {
    h = await shortCourse({ engine, start: '2027-01-04T10:00:00Z' })
    await subscribeAndConfirm(h, 'late@example.org', { timezone: 'UTC' })
    h.clock.set('2027-01-20T07:00:00Z') // the workers were down for two weeks
    await runUntil(h, '2027-01-25T00:00:00Z', 60)
    const local = (await sentLessons(h)).map((s) => `${s.item} ${s.local}`)
    expect(local).toEqual([
      'start 2027-01-04 10:00',
      'second 2027-01-20 08:00',
      'third 2027-01-21 09:00',
      'fourth 2027-01-22 09:00',
    ])
  })

  it('sends nothing while paused, then continues where it left off with the same spacing', async () => {
    h = await shortCourse({ engine, start: '2027-01-04T10:00:00Z' })
    const { id } = await subscribeAndConfirm(h, 'pause@example.org')
    await runUntil(h, '2027-01-05T12:00:00Z') // start + second sent
    await changeCourse(h.services.subscribers, id, SHORT, 'pause')
    await runUntil(h, '2027-01-15T12:00:00Z')
    expect((await sentLessons(h)).map((s) => s.item)).toEqual(['start', 'second'])
    await changeCourse(h.services.subscribers, id, SHORT, 'resume')
    await runUntil(h, '2027-01-25T00:00:00Z')
    const local = (await sentLessons(h)).map((s) => `${s.item} ${s.local}`)
    // Paused on the 5th, resumed on the 15th: 10 days later than planned (7th → 17th, 9th → 19th).
    expect(local.slice(2)).toEqual(['third 2027-01-17 09:00', 'fourth 2027-01-19 09:00'])
  })

  it('checks the subscriber again right before sending: someone who left in between gets nothing', async () => {
    h = await shortCourse({ engine, start: '2027-01-04T10:00:00Z' })
    const { id } = await subscribeAndConfirm(h, 'race@example.org')
    h.clock.set('2027-01-05T09:00:00Z')
    const batch = await claimNewBatch(h.db, {
      workerId: 'w',
      now: h.clock.now(),
      leaseMs: 60_000,
      limit: 10,
      filter: null,
    })
    expect(batch).not.toBeNull()
    await h.db.query(`update subscribers set status = 'unsubscribed' where id = $1`, [id])
    const report = await h.services.sender.processBatch(batch!)
    expect(report).toMatchObject({ sent: 0, skipped: 1 })
    expect((await sentLessons(h)).map((s) => s.item)).toEqual(['start'])
  })

  it('follows content changes: added lessons reach those not past them, removed ones are never sent, edits apply', async () => {
    h = await shortCourse({ engine, start: '2027-01-04T10:00:00Z' })
    await subscribeAndConfirm(h, 'content@example.org')
    await runUntil(h, '2027-01-05T12:00:00Z') // start, second
    // Add a lesson on day 2, remove the one on day 5, and edit the one on day 3.
    writeFileSync(
      path.join(h.courseDir, '01b-added.md'),
      '---\ntitle: "Added later"\nsubject: "Added later"\npreview: "A lesson added after the reader started."\nday: 2\nslug: "added"\n---\n\nNew text.\n',
    )
    unlinkSync(path.join(h.courseDir, '03-fourth.md'))
    writeFileSync(
      path.join(h.courseDir, '02-third.md'),
      '---\ntitle: "The third lesson"\nsubject: "The third lesson, revised"\npreview: "Revised."\nday: 3\n---\n\nRevised body text.\n',
    )
    await runUntil(h, '2027-01-15T00:00:00Z')
    const sent = await sentLessons(h)
    expect(sent.map((s) => `${s.item} ${s.local}`)).toEqual([
      'start 2027-01-04 10:00',
      'second 2027-01-05 09:00',
      'added 2027-01-06 09:00',
      'third 2027-01-07 09:00',
    ])
    const mail = await h.outbox()
    expect(mail.at(-1)!.subject).toBe('The third lesson, revised')
    expect(mail.at(-1)!.text).toContain('Revised body text.')
    expect(mail.some((m) => m.subject.startsWith('The fourth lesson'))).toBe(false)
  })
})
