import { cpSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DateTime } from 'luxon'
import { createHarness, FIXTURES, type Harness, type HarnessOptions } from './harness'
import { postForm, subscribeAndConfirm } from './web'

/** The fixture courses: `short` (days 0, 1, 3, 5) and `follow-up` (days 0, 1, 2). */
export const SHORT = 'short'
export const FOLLOW_UP = 'follow-up'

/**
 * A harness on the short fixture course (days 0, 1, 3, 5), or with `fixture: 'lessons-two'` on it and
 * the follow-up course (days 0, 1, 2); the lessons are copied so a test may edit them (`courseDir` is
 * the short course's folder).
 */
export async function shortCourse(
  options: HarnessOptions & { fixture?: 'lessons-short' | 'lessons-two' },
): Promise<Harness & { lessonsDir: string; courseDir: string }> {
  const lessonsDir = path.join(mkdtempSync(path.join(tmpdir(), 'course-lessons-')), 'lessons')
  cpSync(path.join(FIXTURES, options.fixture ?? 'lessons-short'), lessonsDir, {
    recursive: true,
    dereference: true,
  })
  const h = await createHarness({
    ...options,
    env: {
      LESSONS_DIR: lessonsDir,
      NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short'),
      ...options.env,
    },
  })
  return Object.assign(h, { lessonsDir, courseDir: path.join(lessonsDir, SHORT) })
}

/** One delivery per line: who got which lesson, when (UTC and in their zone). */
export async function sentLessons(h: Harness) {
  const { rows } = await h.db.query<{
    email: string
    course: string
    round: number
    item: string
    sent_at: Date
    timezone: string
  }>(
    `select s.email, d.course, d.round, d.item, d.sent_at, s.timezone
     from deliveries d join subscribers s on s.id = d.subscriber_id
     where d.kind = 'lesson' and d.status = 'sent' order by d.sent_at, d.id`,
  )
  return rows.map((row) => ({
    ...row,
    local: DateTime.fromJSDate(row.sent_at, { zone: row.timezone }).toFormat('yyyy-MM-dd HH:mm'),
  }))
}

/** Ticks at every multiple of `stepMinutes` (UTC) until `until`, like the cron would. */
export async function runUntil(h: Harness, until: string, stepMinutes = 60): Promise<void> {
  const end = new Date(until).getTime()
  const step = stepMinutes * 60 * 1000
  while (h.clock.now().getTime() < end) {
    h.clock.set(new Date((Math.floor(h.clock.now().getTime() / step) + 1) * step))
    await h.tick()
  }
}

export { postForm, subscribeAndConfirm }
