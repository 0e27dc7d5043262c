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

/** Writes files into a fresh temporary `lessons/` (and `newsletters/`) folder; returns their paths. */
export function contentDirs(lessons: Record<string, string>, newsletters: Record<string, string> = {}) {
  const root = mkdtempSync(path.join(tmpdir(), 'course-content-'))
  const lessonsDir = path.join(root, 'lessons')
  const newslettersDir = path.join(root, 'newsletters')
  mkdirSync(lessonsDir)
  mkdirSync(newslettersDir)
  for (const [name, text] of Object.entries(lessons)) writeFileSync(path.join(lessonsDir, name), text)
  for (const [name, text] of Object.entries(newsletters)) writeFileSync(path.join(newslettersDir, name), text)
  return { root, lessonsDir, newslettersDir }
}
