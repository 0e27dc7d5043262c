/**
 * One fresh process: times the first `loadContent` including the first import of the content code
 * (React Email, the templates, Markdown, html-to-text: all loaded and compiled on first use), then
 * `warmRuns` more loads in the same process. Prints one JSON line. Started by build.ts.
 */
import path from 'node:path'
import { loadConfig } from '../../src/config'

const root = path.resolve(import.meta.dirname, '../..')
const config = loadConfig(
  {
    LESSONS_DIR: path.join(root, 'lessons'),
    NEWSLETTERS_DIR: path.join(root, 'newsletters'),
    BASE_URL: 'https://course.example.org',
  },
  root,
)
// Spelled out rather than contentSource() from src/runtime: importing the runtime here would load the
// content code before the timed first import.
const source = {
  lessonsDir: config.lessonsDir,
  newslettersDir: config.newslettersDir,
  site: {
    courseName: config.mail.courseName,
    baseUrl: config.baseUrl,
    postalAddress: config.mail.postalAddress,
  },
}
const warmRuns = Number(process.argv[2] ?? '5')

const start = performance.now()
const { loadContent } = await import('../../src/content/catalog')
const imported = performance.now()
const first = await loadContent(source)
const coldMs = performance.now() - start
const warmMs: number[] = []
for (let i = 0; i < warmRuns; i++) {
  const t = performance.now()
  await loadContent(source)
  warmMs.push(performance.now() - t)
}
// Each course's lessons, confirmation and invitation, and each newsletter issue.
const emails =
  first.courses.reduce((n, course) => n + course.lessons.length + 2, 0) + first.newsletters.length
process.stdout.write(`${JSON.stringify({ coldMs, importMs: imported - start, warmMs, emails })}\n`)
