import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import matter from 'gray-matter'
import type { Root } from 'mdast'
import type { z } from 'zod'
import { lessonFrontMatter, newsletterFrontMatter, slugFromFileName } from './front-matter'
import { type FrontMatterLines, frontMatterLines, frontMatterProblems } from './front-matter-problems'
import { parseMarkdown } from './markdown'
import type { ContentProblem, Lesson, Newsletter } from './types'
import { explainYamlError } from './yaml-errors'

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
  /** Where each front-matter value is, for problems by line. */
  lines: FrontMatterLines
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
    const yaml = explainYamlError(error, text)
    problems.push({
      file,
      field: 'front matter',
      message: yaml ? `not valid YAML: ${yaml.message}` : (error as Error).message,
      line: yaml?.line,
    })
    return null
  }
  const lines = frontMatterLines(parsed.matter)
  const before = text.length - parsed.content.length
  const bodyLine = text.slice(0, before).split('\n').length
  const data = parsed.data && typeof parsed.data === 'object' ? (parsed.data as Record<string, unknown>) : {}
  return { data, markdown: parsed.content, bodyLine, keyLine: lines.keyLine, lines }
}

/** The body parsed once: its tree (for the templates) and its problems by file line. */
function checkBody(
  parsed: ParsedFile,
  file: string,
  allowEmpty: boolean,
): { tree: Root; problems: ContentProblem[] } {
  const seen = new Set<string>()
  const { tree, problems } = parseMarkdown(parsed.markdown, { allowEmpty })
  return {
    tree,
    problems: problems
      .filter((problem) => {
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
      })),
  }
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

/** A file read and checked; `fields` only when the file has no problem of its own. */
export interface CheckedFile<T> {
  name: string
  file: string
  parsed: ParsedFile
  tree: Root
  fields?: T
}

/** A content folder: where it is, and how its files are named in messages (`lessons/avoiding-smp-regrets`). */
export interface Folder {
  dir: string
  label: string
}

/** The folder of a content directory, named by its own name (`newsletters`). */
export function folderOf(dir: string): Folder {
  return { dir, label: path.basename(dir) }
}

/**
 * Reads and checks one Markdown file against `schema`, adding each problem to `problems`; null when it
 * cannot be read at all (no front matter, broken YAML).
 */
export function checkFile<S extends z.ZodObject>(
  folder: Folder,
  name: string,
  schema: S,
  problems: ContentProblem[],
  options: { allowEmptyBody?: boolean } = {},
): CheckedFile<z.output<S>> | null {
  const file = `${folder.label}/${name}`
  const parsed = parseFile(readFileSync(path.join(folder.dir, name), 'utf8'), file, problems)
  if (!parsed) return null
  const before = problems.length
  const result = schema.safeParse(parsed.data)
  if (!result.success)
    problems.push(...frontMatterProblems(result.error.issues, file, parsed.lines, Object.keys(schema.shape)))
  const body = checkBody(parsed, file, options.allowEmptyBody ?? false)
  problems.push(...body.problems)
  return { name, file, parsed, tree: body.tree, fields: problems.length === before ? result.data : undefined }
}

/** Reads and checks every Markdown file in a folder against `schema`, adding each problem to `problems`. */
function checkFiles<S extends z.ZodObject>(
  folder: Folder,
  schema: S,
  problems: ContentProblem[],
  skip: readonly string[] = [],
): CheckedFile<z.output<S>>[] {
  return listMarkdownFiles(folder.dir)
    .filter((name) => !skip.includes(name))
    .flatMap((name) => checkFile(folder, name, schema, problems) ?? [])
}

/** Where a file stands among the others: its day and slug, each only if it can be read. */
interface Placement {
  file: string
  day?: number
  slug?: string
}

/**
 * A file's day and slug read on their own, so that the checks across files also see files with other
 * problems and one build lists everything (not the order problems only once the rest is fixed).
 */
function placementOf(checked: CheckedFile<unknown>): Placement {
  const day = lessonFrontMatter.shape.day.safeParse(checked.parsed.data.day)
  const slug = lessonFrontMatter.shape.slug.safeParse(checked.parsed.data.slug)
  return {
    file: checked.file,
    day: day.success ? day.data : undefined,
    slug: slug.success ? (slug.data ?? slugFromFileName(checked.name)) : undefined,
  }
}

/** The file that makes a folder of lessons a course. */
export const COURSE_FILE = 'course.md'

/**
 * Loads and validates the lessons of one course folder (every Markdown file but `course.md`), in
 * file-name order. Every problem of every file is collected; a lesson with problems of its own is
 * left out of `lessons` (one only out of order stays in, with its problem listed: callers use nothing
 * when there are problems).
 */
export function loadLessons(
  folder: Folder,
  course: string,
): { lessons: Lesson[]; problems: ContentProblem[] } {
  const problems: ContentProblem[] = []
  const checked = checkFiles(folder, lessonFrontMatter, problems, [COURSE_FILE])
  problems.push(...sequenceProblems(checked.map(placementOf)))
  const lessons = checked.flatMap(({ name, file, parsed, tree, fields }): Lesson[] => {
    if (!fields) return []
    const { slug = slugFromFileName(name), offer, sources, ...rest } = fields
    return [
      {
        kind: 'lesson',
        file,
        course,
        ...rest,
        slug,
        ...(offer ? { offer } : {}),
        ...(sources ? { sources } : {}),
        markdown: parsed.markdown,
        tree,
        bodyLine: parsed.bodyLine,
      },
    ]
  })
  return { lessons, problems }
}

/** Across files: slugs unique, days unique and strictly increasing in file order. */
function sequenceProblems(placements: Placement[]): ContentProblem[] {
  const problems: ContentProblem[] = []
  const slugs = new Map<string, string>()
  const days = new Map<number, string>()
  let previous: { day: number; file: string } | undefined
  for (const { file, day, slug } of placements) {
    const sameSlug = slug === undefined ? undefined : slugs.get(slug)
    if (sameSlug) problems.push({ file, field: 'slug', message: `"${slug}" is also the slug of ${sameSlug}` })
    if (slug !== undefined) slugs.set(slug, file)
    if (day === undefined) continue
    const sameDay = days.get(day)
    if (sameDay) problems.push({ file, field: 'day', message: `day ${day} is also the day of ${sameDay}` })
    else if (previous && day < previous.day) {
      problems.push({
        file,
        field: 'day',
        message: `day ${day} comes before day ${previous.day} of ${previous.file}: days must increase with the file order`,
      })
    }
    days.set(day, file)
    previous = { day, file }
  }
  return problems
}

/** Loads and validates every newsletter issue in `dir`; as for lessons, one with problems is left out. */
export function loadNewsletters(dir: string): { newsletters: Newsletter[]; problems: ContentProblem[] } {
  const problems: ContentProblem[] = []
  const checked = checkFiles(folderOf(dir), newsletterFrontMatter, problems)
  // Issues have no day: only their slugs are compared.
  problems.push(...sequenceProblems(checked.map((file) => ({ ...placementOf(file), day: undefined }))))
  const newsletters = checked.flatMap(({ name, file, parsed, tree, fields }): Newsletter[] => {
    if (!fields) return []
    const { slug = slugFromFileName(name), sources, ...rest } = fields
    return [
      {
        kind: 'newsletter',
        file,
        ...rest,
        slug,
        ...(sources ? { sources } : {}),
        markdown: parsed.markdown,
        tree,
        bodyLine: parsed.bodyLine,
      },
    ]
  })
  return { newsletters, problems }
}
