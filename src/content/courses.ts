import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { DISCLAIMER } from '../../emails/_lib/disclaimer'
import { courseFrontMatter } from './front-matter'
import { COURSE_FILE, checkFile, loadLessons } from './load'
import type { ContentProblem, Course, Lesson } from './types'

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

/** The folders of `lessonsDir` that hold courses (not hidden, not `_drafts`), by name. */
function courseFolders(lessonsDir: string): string[] {
  try {
    return readdirSync(lessonsDir)
      .filter((name) => !name.startsWith('.') && !name.startsWith('_'))
      .filter((name) => statSync(path.join(lessonsDir, name)).isDirectory())
      .sort()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

/** Lessons left in `lessons/` itself, from the time an installation had one course. */
function looseLessonFiles(lessonsDir: string): string[] {
  try {
    return readdirSync(lessonsDir).filter((name) => name.endsWith('.md') && name !== 'README.md')
  } catch {
    return []
  }
}

/**
 * Loads every course of `lessonsDir`: each folder with a `course.md` and its lessons. Every problem of
 * every file is collected (one `npm run build` lists them all); a course with problems is left out.
 * Courses come in listing order: `order`, then title.
 */
export function loadCourses(lessonsDir: string): { courses: Course[]; problems: ContentProblem[] } {
  const problems: ContentProblem[] = []
  const label = path.basename(lessonsDir)
  for (const name of looseLessonFiles(lessonsDir))
    problems.push({
      file: `${label}/${name}`,
      field: 'file',
      message: `lessons live in a course folder: move it to ${label}/<course-slug>/ beside a course.md (the shipped course is ${label}/avoiding-smp-regrets/)`,
    })
  const courses: Course[] = []
  for (const slug of courseFolders(lessonsDir)) {
    const folder = { dir: path.join(lessonsDir, slug), label: `${label}/${slug}` }
    const before = problems.length
    if (!SLUG.test(slug))
      problems.push({
        file: folder.label,
        field: 'folder',
        message: 'a course folder is named by its slug: lower-case letters, digits and single dashes',
      })
    if (!existsSync(path.join(folder.dir, COURSE_FILE))) {
      problems.push({
        file: `${folder.label}/${COURSE_FILE}`,
        field: 'file',
        message: 'missing: every course folder needs a course.md (title, description)',
      })
    }
    const checked = existsSync(path.join(folder.dir, COURSE_FILE))
      ? checkFile(folder, COURSE_FILE, courseFrontMatter, problems, { allowEmptyBody: true })
      : null
    const { lessons, problems: lessonProblems } = loadLessons(folder, slug)
    problems.push(...lessonProblems)
    if (lessons.length === 0 && lessonProblems.length === 0)
      problems.push({
        file: folder.label,
        field: 'lessons',
        message: 'no lessons found (add NN-slug.md files)',
      })
    const fields = checked?.fields
    if (!fields) continue
    problems.push(...cohortProblems(fields, folder.label, checked.parsed.keyLine))
    if (problems.length > before) continue
    courses.push({
      kind: 'course',
      slug,
      file: checked.file,
      title: fields.title,
      description: fields.description,
      order: fields.order ?? 0,
      pacing: {
        mode: fields.pacing,
        ...(fields.starts ? { starts: fields.starts } : {}),
        ...(fields.closes ? { closes: fields.closes } : {}),
        ...(fields.next_starts ? { nextStarts: fields.next_starts } : {}),
        nextNow: fields.next_now,
      },
      disclaimer: fields.disclaimer ?? DISCLAIMER,
      ...(fields.author ? { author: fields.author } : {}),
      ...(fields.reviewed ? { reviewed: fields.reviewed } : {}),
      markdown: checked.parsed.markdown,
      tree: checked.tree,
      lessons,
    })
  }
  if (courses.length === 0 && problems.length === 0)
    problems.push({
      file: label,
      field: 'courses',
      message: `no courses found: add a folder ${label}/<course-slug>/ with a course.md and NN-slug.md lessons`,
    })
  // An offer may name any course folder: one that has problems of its own is reported for those.
  problems.push(...offerProblems(courses, new Set(courseFolders(lessonsDir))))
  courses.sort((a, b) => a.order - b.order || a.title.localeCompare(b.title) || a.slug.localeCompare(b.slug))
  return { courses, problems }
}

/**
 * A cohort course needs its start date; dates are only for cohorts; the next group starts after this
 * one, and only matters once signups close (signups may close before the start, or after it: late
 * joiners catch up).
 */
function cohortProblems(
  fields: { pacing: string; starts?: string; closes?: string; next_starts?: string },
  label: string,
  keyLine: (key: string) => number | undefined,
): ContentProblem[] {
  const file = `${label}/${COURSE_FILE}`
  const problems: ContentProblem[] = []
  const problem = (field: string, message: string, key = field) =>
    problems.push({ file, field, message, line: keyLine(key) })
  if (fields.pacing === 'cohort' && !fields.starts)
    problem('starts', 'required for pacing: cohort (the date day 0 falls on)', 'pacing')
  if (fields.pacing !== 'cohort')
    for (const key of ['starts', 'closes', 'next_starts'] as const)
      if (fields[key]) problem(key, 'only a cohort course has dates (pacing: cohort)')
  if (fields.pacing === 'cohort' && fields.next_starts) {
    if (!fields.closes) problem('next_starts', 'is used only once signups close: set closes too')
    if (fields.starts && fields.next_starts <= fields.starts)
      problem('next_starts', `must be after starts (${fields.starts})`)
    else if (fields.closes && fields.next_starts <= fields.closes)
      problem('next_starts', `must be after closes (${fields.closes})`)
  }
  return problems
}

/** A lesson may offer only another course that exists. */
function offerProblems(courses: readonly Course[], slugs: ReadonlySet<string>): ContentProblem[] {
  return courses.flatMap((course) =>
    course.lessons.flatMap((lesson: Lesson) => {
      if (!lesson.offer) return []
      if (lesson.offer === course.slug)
        return [{ file: lesson.file, field: 'offer', message: 'a lesson cannot offer its own course' }]
      if (!slugs.has(lesson.offer))
        return [
          {
            file: lesson.file,
            field: 'offer',
            message: `no course "${lesson.offer}" (courses: ${[...slugs].join(', ')})`,
          },
        ]
      return []
    }),
  )
}
