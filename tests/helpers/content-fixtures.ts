import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** A lesson file's text from front matter lines and a body. */
export function lessonText(
  front: Record<string, string | number>,
  body = 'A short paragraph of lesson text.\n',
): string {
  const lines = Object.entries(front).map(
    ([key, value]) => `${key}: ${typeof value === 'number' ? value : JSON.stringify(value)}`,
  )
  return `---\n${lines.join('\n')}\n---\n\n${body}`
}

export const validLesson = (day: number, title = `Lesson on day ${day}`) =>
  lessonText({ title, subject: `${title}: subject`, preview: `What day ${day} covers, in short.`, day })

/** A course.md's text. */
export const courseText = (title: string, description = `What ${title} teaches, in one paragraph.`) =>
  `---\ntitle: ${JSON.stringify(title)}\ndescription: ${JSON.stringify(description)}\n---\n`

/**
 * Writes files into a fresh temporary `lessons/` (and `newsletters/`) folder; returns their paths.
 * Lesson names may have a folder (`course/01-x.md`); a course folder without a `course.md` gets one,
 * unless `bare` (to test its absence).
 */
export function contentDirs(
  lessons: Record<string, string>,
  newsletters: Record<string, string> = {},
  options: { bare?: boolean } = {},
) {
  const root = mkdtempSync(path.join(tmpdir(), 'course-content-'))
  const lessonsDir = path.join(root, 'lessons')
  const newslettersDir = path.join(root, 'newsletters')
  mkdirSync(lessonsDir)
  mkdirSync(newslettersDir)
  for (const [name, text] of Object.entries(lessons)) {
    const file = path.join(lessonsDir, name)
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, text)
  }
  if (!options.bare)
    for (const folder of new Set(
      Object.keys(lessons)
        .filter((n) => n.includes('/'))
        .map((n) => n.split('/')[0]!),
    ))
      if (!Object.hasOwn(lessons, `${folder}/course.md`))
        writeFileSync(path.join(lessonsDir, folder, 'course.md'), courseText(`The ${folder} course`))
  for (const [name, text] of Object.entries(newsletters)) writeFileSync(path.join(newslettersDir, name), text)
  return { root, lessonsDir, newslettersDir }
}
