import type { Root } from 'mdast'

/** A lesson of the course, as loaded and validated from `lessons/*.md`. */
export interface Lesson {
  kind: 'lesson'
  /** Path as shown in messages, e.g. `lessons/03-choosing-a-practitioner.md`. */
  file: string
  slug: string
  title: string
  subject: string
  /** Inbox preheader, at most 110 characters. */
  preview: string
  /** Days after confirmation; 0 is sent right away. */
  day: number
  markdown: string
  /** The body parsed once, when it was checked; the templates render this tree. */
  tree: Root
  /** Line of the file on which the Markdown body starts, to report body problems by file line. */
  bodyLine: number
}

/** A one-off newsletter issue from `newsletters/*.md`. */
export interface Newsletter {
  kind: 'newsletter'
  file: string
  slug: string
  title: string
  subject: string
  preview: string
  /** Publication date, YYYY-MM-DD: issues dated in the future are not public yet. */
  date: string
  markdown: string
  tree: Root
  bodyLine: number
}

export type ContentItem = Lesson | Newsletter

/** Something wrong in a content file: where, which field, what. */
export interface ContentProblem {
  file: string
  field: string
  message: string
  line?: number
}

/** `lessons/03-x.md: day: expected a whole number (line 5)`: the form `npm run build` prints. */
export function formatProblem(problem: ContentProblem): string {
  const where = problem.line ? ` (line ${problem.line})` : ''
  return `${problem.file}: ${problem.field}: ${problem.message}${where}`
}
