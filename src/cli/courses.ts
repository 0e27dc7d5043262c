import { parseArgs } from 'node:util'
import { countEnrolments, type EnrolmentStatus } from '../course/progress'
import type { CliContext } from './context'
import { EXIT, writeLine } from './io'
import { formatTable } from './table'

export const coursesUsage =
  'course courses [--json]            every course: its slug, title, lessons, and readers by state'

const STATES: readonly EnrolmentStatus[] = ['pending', 'active', 'paused', 'completed', 'left']

/** `course courses`: the courses in lessons/, with their lesson counts and enrolments by state. */
export async function coursesCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true })
  const runtime = await ctx.open({ logLevel: 'warn', sends: false })
  try {
    const counts = await countEnrolments(runtime.database.db)
    const courses = runtime.content.current.courses.map((course) => {
      const enrolments = Object.fromEntries(
        STATES.map((state) => [
          state,
          counts.find((c) => c.course === course.slug && c.status === state)?.n ?? 0,
        ]),
      ) as Record<EnrolmentStatus, number>
      const lastDay = course.lessons.at(-1)?.day ?? 0
      return {
        slug: course.slug,
        title: course.title,
        pacing: course.pacing.mode,
        lessons: course.lessons.length,
        days: lastDay,
        enrolments,
      }
    })
    // Enrolments in a course whose folder is gone (renamed or removed) are worth a word: they get no lessons.
    const known = new Set(courses.map((c) => c.slug))
    const orphaned = [...new Set(counts.filter((c) => !known.has(c.course)).map((c) => c.course))]
    if (values.json) {
      writeLine(ctx.io.out, JSON.stringify({ courses, orphaned }, null, 2))
      return EXIT.ok
    }
    writeLine(
      ctx.io.out,
      courses.length === 0
        ? '(no courses: add a folder under lessons/ with a course.md)'
        : formatTable(
            ['course', 'title', 'lessons', 'last day', ...STATES],
            courses.map((c) => [c.slug, c.title, c.lessons, c.days, ...STATES.map((s) => c.enrolments[s])]),
          ),
    )
    for (const slug of orphaned)
      writeLine(
        ctx.io.err,
        `warning: readers are enrolled in "${slug}", which is not a course in lessons/ any more; they get none of its lessons until its folder is back.`,
      )
    return EXIT.ok
  } finally {
    await runtime.close()
  }
}
