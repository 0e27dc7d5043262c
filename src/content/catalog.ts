import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { compileConfirmation, compileLesson, compileNewsletter, type SiteInfo } from './compile'
import { loadLessons, loadNewsletters } from './load'
import type { CompiledEmail } from './personalize'
import type { ContentProblem, Lesson, Newsletter } from './types'

/** Every email the project sends, loaded, validated and compiled once. */
export interface Content {
  readonly lessons: readonly Lesson[]
  readonly newsletters: readonly Newsletter[]
  readonly confirmation: CompiledEmail
  /** Changes whenever a file in the content folders changes (name, size or modification time). */
  readonly fingerprint: string
  lesson(slug: string): Lesson | undefined
  newsletter(slug: string): Newsletter | undefined
  compiled(kind: 'lesson' | 'newsletter' | 'confirmation', slug: string): CompiledEmail | undefined
}

/** Thrown when content has problems; `problems` lists all of them, in every file. */
export class ContentError extends Error {
  constructor(readonly problems: ContentProblem[]) {
    super(`${problems.length} problem(s) in the course content`)
    this.name = 'ContentError'
  }
}

export interface ContentSource {
  lessonsDir: string
  newslettersDir: string
  site: SiteInfo
}

/** A cheap summary of the content folders, to notice edits without reading every file. */
export function fingerprintContent(source: ContentSource): string {
  return [source.lessonsDir, source.newslettersDir]
    .map((dir) => {
      let names: string[] = []
      try {
        names = readdirSync(dir)
          .filter((name) => name.endsWith('.md'))
          .sort()
      } catch {}
      return names
        .map((name) => {
          const stat = statSync(path.join(dir, name))
          return `${name}:${stat.size}:${stat.mtimeMs}`
        })
        .join(',')
    })
    .join('|')
}

/**
 * Loads, validates and compiles all content. Throws {@link ContentError} with every problem found;
 * content with problems is never half-used.
 */
export async function loadContent(source: ContentSource): Promise<Content> {
  const fingerprint = fingerprintContent(source)
  const { lessons, problems } = loadLessons(source.lessonsDir)
  const loaded = loadNewsletters(source.newslettersDir)
  problems.push(...loaded.problems)
  const lessonSlugs = new Set(lessons.map((lesson) => lesson.slug))
  for (const issue of loaded.newsletters) {
    if (lessonSlugs.has(issue.slug)) {
      problems.push({
        file: issue.file,
        field: 'slug',
        message: `"${issue.slug}" is also the slug of a lesson`,
      })
    }
  }
  if (lessons.length === 0 && problems.length === 0) {
    problems.push({
      file: path.basename(source.lessonsDir),
      field: 'lessons',
      message: 'no lessons found (add NN-slug.md files)',
    })
  }
  if (problems.length > 0) throw new ContentError(problems)

  const compiled = new Map<string, CompiledEmail>()
  for (const [index, lesson] of lessons.entries()) {
    compiled.set(
      `lesson:${lesson.slug}`,
      await compileLesson(lesson, { number: index + 1, count: lessons.length }, source.site),
    )
  }
  for (const issue of loaded.newsletters) {
    compiled.set(`newsletter:${issue.slug}`, await compileNewsletter(issue, source.site))
  }
  const confirmation = await compileConfirmation(source.site, lessons.length)
  const lessonBySlug = new Map(lessons.map((lesson) => [lesson.slug, lesson]))
  const newsletterBySlug = new Map(loaded.newsletters.map((issue) => [issue.slug, issue]))
  return Object.freeze({
    lessons: Object.freeze(lessons),
    newsletters: Object.freeze(loaded.newsletters),
    confirmation,
    fingerprint,
    lesson: (slug: string) => lessonBySlug.get(slug),
    newsletter: (slug: string) => newsletterBySlug.get(slug),
    compiled: (kind: 'lesson' | 'newsletter' | 'confirmation', slug: string) =>
      kind === 'confirmation' ? confirmation : compiled.get(`${kind}:${slug}`),
  })
}

/**
 * What can be read of broken content, for commands that show or change people but send nothing
 * (status, stats, unsubscribe, erase…): the lessons and issues that are valid on their own, and no
 * compiled email. Sending from it is a bug, so the confirmation email throws when asked for.
 */
export function loadReadableContent(source: ContentSource): Content {
  const { lessons } = loadLessons(source.lessonsDir)
  const { newsletters } = loadNewsletters(source.newslettersDir)
  const lessonBySlug = new Map(lessons.map((lesson) => [lesson.slug, lesson]))
  const newsletterBySlug = new Map(newsletters.map((issue) => [issue.slug, issue]))
  return Object.freeze({
    lessons: Object.freeze(lessons),
    newsletters: Object.freeze(newsletters),
    get confirmation(): CompiledEmail {
      throw new Error('the content has problems: nothing can be sent from it')
    },
    fingerprint: fingerprintContent(source),
    lesson: (slug: string) => lessonBySlug.get(slug),
    newsletter: (slug: string) => newsletterBySlug.get(slug),
    compiled: () => undefined,
  })
}

/**
 * Holds the current content and reloads it when files change, so edits reach the next send without
 * a restart. Broken edits are reported and the last good content stays in use: nothing half-valid
 * is ever sent.
 */
export class ContentStore {
  #current: Content
  #reloading: Promise<void> | null = null

  constructor(
    private readonly source: ContentSource,
    initial: Content,
    private readonly onProblems: (error: ContentError) => void = () => {},
  ) {
    this.#current = initial
  }

  /**
   * Loads the content. `readable`: content with problems is not an error but reported through
   * `onProblems`, and what is valid is used (see {@link loadReadableContent}): for commands that send
   * nothing, so that an unsubscribe or an erasure never waits for a lesson to be fixed.
   */
  static async open(
    source: ContentSource,
    onProblems?: (error: ContentError) => void,
    options: { readable?: boolean } = {},
  ): Promise<ContentStore> {
    try {
      return new ContentStore(source, await loadContent(source), onProblems)
    } catch (error) {
      if (!options.readable || !(error instanceof ContentError)) throw error
      onProblems?.(error)
      return new ContentStore(source, loadReadableContent(source), onProblems)
    }
  }

  get current(): Content {
    return this.#current
  }

  /** Reloads if the files changed since the last load; returns the content to use now. */
  async refresh(): Promise<Content> {
    if (fingerprintContent(this.source) !== this.#current.fingerprint) {
      this.#reloading ??= loadContent(this.source)
        .then((content) => {
          this.#current = content
        })
        .catch((error) => {
          if (!(error instanceof ContentError)) throw error
          this.onProblems(error)
          // Remember the broken state so that the same problems are reported once, not every tick.
          this.#current = { ...this.#current, fingerprint: fingerprintContent(this.source) }
        })
        .finally(() => {
          this.#reloading = null
        })
      await this.#reloading
    }
    return this.#current
  }
}
