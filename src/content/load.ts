import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import matter from 'gray-matter'
import type { z } from 'zod'
import { lessonFrontMatter, newsletterFrontMatter, slugFromFileName } from './front-matter'
import { parseMarkdown } from './markdown'
import type { ContentProblem, Lesson, Newsletter } from './types'

const refuseCode = () => {
  throw new Error('JavaScript front matter is not allowed (it would run code); use YAML')
}

/**
 * gray-matter, used safely: an options object on every call (without one it caches parsed results
 * and shares them between callers), and the JavaScript engines replaced by a refusal (they `eval`).
 */
const MATTER_OPTIONS = { engines: { js: refuseCode, javascript: refuseCode } } as const

interface ParsedFile {
  data: Record<string, unknown>
  markdown: string
  bodyLine: number
  keyLine: (key: string) => number | undefined
}

function parseFile(text: string, file: string, problems: ContentProblem[]): ParsedFile | null {
  if (!/^---\w*[ \t]*\r?\n/.test(text)) {
    problems.push({
      file,
      field: 'front matter',
      message: 'missing: the file must start with a "---" line',
      line: 1,
    })
    return null
  }
  let parsed: matter.GrayMatterFile<string>
  try {
    parsed = matter(text, { ...MATTER_OPTIONS })
  } catch (error) {
    const mark = (error as { mark?: { line?: number } }).mark
    const reason = (error as { reason?: string }).reason ?? (error as Error).message
    problems.push({
      file,
      field: 'front matter',
      message: mark ? `not valid YAML: ${reason}` : reason,
      line: mark?.line === undefined ? undefined : mark.line + 2,
    })
    return null
  }
  const frontLines = parsed.matter.split('\n')
  const keyLine = (key: string) => {
    const index = frontLines.findIndex((line) => new RegExp(`^\\s*${key}\\s*:`).test(line))
    return index < 0 ? undefined : index + 1 // +1 for the opening "---", +1 for 1-based, -1 for the split's leading ''
  }
  const before = text.length - parsed.content.length
  const bodyLine = text.slice(0, before).split('\n').length
  const data = parsed.data && typeof parsed.data === 'object' ? (parsed.data as Record<string, unknown>) : {}
  return { data, markdown: parsed.content, bodyLine, keyLine }
}

function frontMatterProblems(
  issues: z.core.$ZodIssue[],
  file: string,
  parsed: ParsedFile,
  allowed: readonly string[],
): ContentProblem[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        file,
        field: key,
        message: `unknown key (allowed: ${allowed.join(', ')})`,
        line: parsed.keyLine(key),
      }))
    }
    const field = String(issue.path[0] ?? 'front matter')
    return [{ file, field, message: issue.message, line: parsed.keyLine(field) }]
  })
}

function bodyProblems(parsed: ParsedFile, file: string): ContentProblem[] {
  const seen = new Set<string>()
  return parseMarkdown(parsed.markdown)
    .problems.filter((problem) => {
      // Inline HTML parses as separate opening and closing tags: one report per line is enough.
      const key = `${problem.line}:${problem.message}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    .map((problem) => ({
      file,
      field: 'body',
      message: problem.message,
      line: parsed.bodyLine + problem.line - 1,
    }))
}

function listMarkdownFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter(
        (name) =>
          name.endsWith('.md') && !name.startsWith('_') && !name.startsWith('.') && name !== 'README.md',
      )
      .sort()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

/** Shown in messages: the folder's own name and the file, e.g. `lessons/00-welcome.md`. */
function displayPath(dir: string, name: string): string {
  return `${path.basename(dir)}/${name}`
}

/**
 * Loads and validates every lesson in `dir`, in file-name order. Every problem of every file is
 * collected; a lesson with problems is left out of `lessons`.
 */
export function loadLessons(dir: string): { lessons: Lesson[]; problems: ContentProblem[] } {
  const problems: ContentProblem[] = []
  const lessons: Lesson[] = []
  const allowed = Object.keys(lessonFrontMatter.shape)
  for (const name of listMarkdownFiles(dir)) {
    const file = displayPath(dir, name)
    const before = problems.length
    const parsed = parseFile(readFileSync(path.join(dir, name), 'utf8'), file, problems)
    if (!parsed) continue
    const result = lessonFrontMatter.safeParse(parsed.data)
    if (!result.success) problems.push(...frontMatterProblems(result.error.issues, file, parsed, allowed))
    problems.push(...bodyProblems(parsed, file))
    if (!result.success || problems.length > before) continue
    const { slug, ...fields } = result.data
    lessons.push({
      kind: 'lesson',
      file,
      slug: slug ?? slugFromFileName(name),
      ...fields,
      markdown: parsed.markdown,
      bodyLine: parsed.bodyLine,
    })
  }
  problems.push(...sequenceProblems(lessons))
  return { lessons, problems }
}

/** Across files: slugs and days unique, days strictly increasing in file order. */
function sequenceProblems(lessons: Lesson[]): ContentProblem[] {
  const problems: ContentProblem[] = []
  const slugs = new Map<string, string>()
  const days = new Map<number, string>()
  let previous: Lesson | undefined
  for (const lesson of lessons) {
    const sameSlug = slugs.get(lesson.slug)
    if (sameSlug)
      problems.push({
        file: lesson.file,
        field: 'slug',
        message: `"${lesson.slug}" is also the slug of ${sameSlug}`,
      })
    const sameDay = days.get(lesson.day)
    if (sameDay)
      problems.push({
        file: lesson.file,
        field: 'day',
        message: `day ${lesson.day} is also the day of ${sameDay}`,
      })
    else if (previous && lesson.day < previous.day) {
      problems.push({
        file: lesson.file,
        field: 'day',
        message: `day ${lesson.day} comes before day ${previous.day} of ${previous.file}: days must increase with the file order`,
      })
    }
    slugs.set(lesson.slug, lesson.file)
    days.set(lesson.day, lesson.file)
    previous = lesson
  }
  return problems
}

/** Loads and validates every newsletter issue in `dir`. */
export function loadNewsletters(dir: string): { newsletters: Newsletter[]; problems: ContentProblem[] } {
  const problems: ContentProblem[] = []
  const newsletters: Newsletter[] = []
  const allowed = Object.keys(newsletterFrontMatter.shape)
  const slugs = new Map<string, string>()
  for (const name of listMarkdownFiles(dir)) {
    const file = displayPath(dir, name)
    const before = problems.length
    const parsed = parseFile(readFileSync(path.join(dir, name), 'utf8'), file, problems)
    if (!parsed) continue
    const result = newsletterFrontMatter.safeParse(parsed.data)
    if (!result.success) problems.push(...frontMatterProblems(result.error.issues, file, parsed, allowed))
    problems.push(...bodyProblems(parsed, file))
    if (!result.success || problems.length > before) continue
    const { slug: explicit, ...fields } = result.data
    const slug = explicit ?? slugFromFileName(name)
    const same = slugs.get(slug)
    if (same) {
      problems.push({ file, field: 'slug', message: `"${slug}" is also the slug of ${same}` })
      continue
    }
    slugs.set(slug, file)
    newsletters.push({
      kind: 'newsletter',
      file,
      slug,
      ...fields,
      markdown: parsed.markdown,
      bodyLine: parsed.bodyLine,
    })
  }
  return { newsletters, problems }
}
