import { cpSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DateTime } from 'luxon'
import { createHarness, FIXTURES, type Harness, type HarnessOptions } from './harness'
import { postForm, subscribeAndConfirm } from './web'

/** A harness on the short fixture course (days 0, 1, 3, 5), with its lessons copied so a test may edit them. */
export async function shortCourse(options: HarnessOptions): Promise<Harness & { lessonsDir: string }> {
  const lessonsDir = path.join(mkdtempSync(path.join(tmpdir(), 'course-lessons-')), 'lessons')
  cpSync(path.join(FIXTURES, 'lessons-short'), lessonsDir, { recursive: true })
  const h = await createHarness({
    ...options,
    env: {
      LESSONS_DIR: lessonsDir,
      NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short'),
      ...options.env,
    },
  })
  return Object.assign(h, { lessonsDir })
}

/** One delivery per line: who got which lesson, when (UTC and in their zone). */
export async function sentLessons(h: Harness) {
  const { rows } = await h.db.query<{ email: string; item: string; sent_at: Date; timezone: string }>(
    `select s.email, d.item, d.sent_at, s.timezone from deliveries d join subscribers s on s.id = d.subscriber_id
     where d.kind = 'lesson' and d.status = 'sent' order by d.sent_at, d.id`,
  )
  return rows.map((row) => ({
    ...row,
    local: DateTime.fromJSDate(row.sent_at, { zone: row.timezone }).toFormat('yyyy-MM-dd HH:mm'),
  }))
}

/** Ticks every `stepMinutes` until `until`, like the cron would. */
export async function runUntil(h: Harness, until: string, stepMinutes = 60): Promise<void> {
  const end = new Date(until).getTime()
  while (h.clock.now().getTime() < end) {
    h.clock.advance(stepMinutes * 60 * 1000)
    await h.tick()
  }
}

export { postForm, subscribeAndConfirm }
