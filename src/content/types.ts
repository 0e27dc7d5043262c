import type { Root } from 'mdast'

/** Something a lesson or issue draws on (front matter `sources:`): an https page of a health service, regulator or paper. */
export interface Source {
  title: string
  url: string
}

/** A lesson of a course, as loaded and validated from `lessons/<course>/NN-slug.md`. */
export interface Lesson {
  kind: 'lesson'
  /** Path as shown in messages, e.g. `lessons/avoiding-smp-regrets/03-choosing-a-practitioner.md`. */
  file: string
  /** The slug of its course (the folder's name). */
  course: string
  slug: string
  title: string
  subject: string
  /** Inbox preheader, at most 110 characters. */
  preview: string
  /** Days after confirmation; 0 is sent right away. */
  day: number
  /** Another course this lesson offers to start, if any. */
  offer?: string
  /** What the lesson draws on: listed under "Sources" on its page, linked from its email. */
  sources?: readonly Source[]
  markdown: string
  /** The body parsed once, when it was checked; the templates render this tree. */
  tree: Root
  /** Line of the file on which the Markdown body starts, to report body problems by file line. */
  bodyLine: number
}

/**
 * How readers move through a course (course.md's `pacing` and its dates): `evergreen`, day 0 is each
 * reader's own start; `cohort`, day 0 is `starts` for everyone who signed up by `closes` (later
 * signups join the group starting `nextStarts`, or are refused when there is none); `self-paced`, as
 * evergreen, and every lesson offers the next one now. `nextNow` offers it in any course.
 */
export interface Pacing {
  mode: 'evergreen' | 'cohort' | 'self-paced'
  starts?: string
  closes?: string
  nextStarts?: string
  nextNow: boolean
}

/** Whether lesson emails of a course offer "Send me the next lesson now". */
export function offersNextNow(pacing: Pacing): boolean {
  return pacing.nextNow || pacing.mode === 'self-paced'
}

/** A course: `lessons/<slug>/course.md` and the lessons beside it, in day order. */
export interface Course {
  kind: 'course'
  /** The course's folder name, e.g. `avoiding-smp-regrets`. */
  slug: string
  /** Where course.md is, as shown in messages. */
  file: string
  title: string
  /** One paragraph for its signup page and listings. */
  description: string
  /** Where it comes in listings (lower first; then by title). */
  order: number
  pacing: Pacing
  /** Said under every lesson, in its emails and on its pages (course.md's `disclaimer`, or the default). */
  disclaimer: string
  /** Who wrote it and when it was last reviewed, shown on its signup page. */
  author?: string
  reviewed?: string
  /** Extra text for the signup page (course.md's body); may be empty. */
  markdown: string
  tree: Root
  lessons: readonly Lesson[]
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
  /** What the issue draws on, as for lessons. */
  sources?: readonly Source[]
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
