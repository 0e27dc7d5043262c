import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import type { LessonContext, SiteInfo } from './compile'
import { compileKey, contentFilesKey, readCompiled, readLoadedContent, writeCompiled } from './compiled-cache'
import type { CompiledEmail } from './personalize'
import { type ContentProblem, type Course, type Lesson, type Newsletter, offersNextNow } from './types'

/** The kinds of compiled email, as the delivery queue names them. */
export type EmailKind = 'confirmation' | 'invitation' | 'lesson' | 'newsletter'

/** Every email the project sends, loaded, validated and compiled once. */
export interface Content {
  /** In listing order (`order`, then title). */
  readonly courses: readonly Course[]
  readonly newsletters: readonly Newsletter[]
  /** Changes whenever a file in the content folders changes (name, size or modification time). */
  readonly fingerprint: string
  course(slug: string): Course | undefined
  lesson(course: string, slug: string): Lesson | undefined
  newsletter(slug: string): Newsletter | undefined
  /**
   * The compiled email of a kind: a lesson by course and slug, an issue by slug, the confirmation and
   * the invitation of a course.
   */
  compiled(kind: EmailKind, course: string | null, slug: string | null): CompiledEmail | undefined
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
  /** Where compiled emails are kept between starts (see compiled-cache.ts); none: compile each time. */
  cacheDir?: string
}

/** Every Markdown file under `dir` (and its course folders), as `name:size:mtime`. */
function fileStamps(dir: string, depth: number): string[] {
  let names: string[] = []
  try {
    names = readdirSync(dir).sort()
  } catch {
    return []
  }
  return names.flatMap((name) => {
    const stat = statSync(path.join(dir, name), { throwIfNoEntry: false })
    if (!stat) return []
    if (stat.isDirectory())
      return depth > 0 ? fileStamps(path.join(dir, name), depth - 1).map((s) => `${name}/${s}`) : []
    return name.endsWith('.md') ? [`${name}:${stat.size}:${stat.mtimeMs}`] : []
  })
}

/** A cheap summary of the content folders, to notice edits without reading every file. */
export function fingerprintContent(source: ContentSource): string {
  return `${fileStamps(source.lessonsDir, 1).join(',')}|${fileStamps(source.newslettersDir, 0).join(',')}`
}

/** Looks content up by course and slug. */
function indexContent(courses: readonly Course[], newsletters: readonly Newsletter[]) {
  const courseBySlug = new Map(courses.map((course) => [course.slug, course]))
  const lessonByKey = new Map(
    courses.flatMap((c) => c.lessons.map((lesson) => [`${c.slug}/${lesson.slug}`, lesson] as const)),
  )
  const newsletterBySlug = new Map(newsletters.map((issue) => [issue.slug, issue]))
  return {
    course: (slug: string) => courseBySlug.get(slug),
    lesson: (course: string, slug: string) => lessonByKey.get(`${course}/${slug}`),
    newsletter: (slug: string) => newsletterBySlug.get(slug),
  }
}

/** The key of a compiled email: per lesson, per issue, and one confirmation and invitation per course. */
function compiledKey(kind: EmailKind, course: string | null, slug: string | null): string {
  if (kind === 'lesson') return `lesson:${course}/${slug}`
  if (kind === 'newsletter') return `newsletter:${slug}`
  return `${kind}:${course}`
}

/** What the email of a course's lesson number `index` (from 0) says of its course and of the course it offers. */
export function lessonContext(
  course: Course,
  index: number,
  courseOf: (slug: string) => Course | undefined,
): LessonContext {
  const lesson = course.lessons[index]!
  const offer = lesson.offer ? courseOf(lesson.offer) : undefined
  return {
    courseTitle: course.title,
    number: index + 1,
    count: course.lessons.length,
    nextNow: offersNextNow(course.pacing),
    disclaimer: course.disclaimer,
    ...(offer ? { offer } : {}),
  }
}

/** The content as the rest of the code sees it, from what was loaded and compiled. */
function assembleContent(
  courses: Course[],
  newsletters: Newsletter[],
  emails: ReadonlyMap<string, CompiledEmail>,
  fingerprint: string,
): Content {
  return Object.freeze({
    courses: Object.freeze(courses),
    newsletters: Object.freeze(newsletters),
    fingerprint,
    ...indexContent(courses, newsletters),
    compiled: (kind: EmailKind, course: string | null, slug: string | null) =>
      emails.get(compiledKey(kind, course, slug)),
  })
}

/**
 * Loads, validates and compiles all content. Throws {@link ContentError} with every problem found;
 * content with problems is never half-used. Files unchanged since they were last loaded (byte for
 * byte) are not parsed again: their content and emails come from the cache (see compiled-cache.ts).
 */
export async function loadContent(source: ContentSource): Promise<Content> {
  const fingerprint = fingerprintContent(source)
  const filesKey = source.cacheDir ? contentFilesKey(source) : null
  const kept = source.cacheDir && filesKey ? readLoadedContent(source.cacheDir, filesKey) : null
  if (kept) return assembleContent(kept.courses, kept.newsletters, kept.emails, fingerprint)

  // The parsers are loaded only here, when the files changed (or nothing is cached).
  const [{ loadCourses }, { loadNewsletters }] = await Promise.all([import('./courses'), import('./load')])
  const { courses, problems } = loadCourses(source.lessonsDir)
  const loaded = loadNewsletters(source.newslettersDir)
  problems.push(...loaded.problems)
  if (problems.length > 0) throw new ContentError(problems)

  const key = compileKey({ site: source.site, courses, newsletters: loaded.newsletters })
  const cached = source.cacheDir ? readCompiled(source.cacheDir, key) : null
  const courseOf = indexContent(courses, loaded.newsletters).course
  const emails = cached ?? (await compileAll(courses, loaded.newsletters, courseOf, source.site))
  if (source.cacheDir) {
    // The content is kept under its files' key only if no file changed while they were read: the
    // key must name exactly the files it came from.
    const unchanged = filesKey !== null && contentFilesKey(source) === filesKey
    writeCompiled(
      source.cacheDir,
      key,
      emails,
      unchanged ? { filesKey, courses, newsletters: loaded.newsletters } : undefined,
    )
  }
  return assembleContent(courses, loaded.newsletters, emails, fingerprint)
}

/** Renders every email of the content with React Email (loaded here only: a cached compile needs none of it). */
async function compileAll(
  courses: readonly Course[],
  newsletters: readonly Newsletter[],
  courseOf: (slug: string) => Course | undefined,
  site: SiteInfo,
): Promise<Map<string, CompiledEmail>> {
  const { compileConfirmation, compileInvitation, compileLesson, compileNewsletter } = await import(
    './compile'
  )
  const compiled = new Map<string, CompiledEmail>()
  for (const course of courses) {
    for (const [i, lesson] of course.lessons.entries())
      compiled.set(
        compiledKey('lesson', course.slug, lesson.slug),
        await compileLesson(lesson, lessonContext(course, i, courseOf), site),
      )
    compiled.set(compiledKey('confirmation', course.slug, null), await compileConfirmation(course, site))
    compiled.set(compiledKey('invitation', course.slug, null), await compileInvitation(course, site))
  }
  for (const issue of newsletters)
    compiled.set(compiledKey('newsletter', null, issue.slug), await compileNewsletter(issue, site))
  return compiled
}

/**
 * What can be read of broken content, for commands that show or change people but send nothing
 * (status, stats, unsubscribe, erase…): the courses and issues that are valid on their own, and no
 * compiled email (sending from it is a bug).
 */
export async function loadReadableContent(source: ContentSource): Promise<Content> {
  const [{ loadCourses }, { loadNewsletters }] = await Promise.all([import('./courses'), import('./load')])
  const { courses } = loadCourses(source.lessonsDir)
  const { newsletters } = loadNewsletters(source.newslettersDir)
  return Object.freeze({
    courses: Object.freeze(courses),
    newsletters: Object.freeze(newsletters),
    fingerprint: fingerprintContent(source),
    ...indexContent(courses, newsletters),
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
  #problems: readonly ContentProblem[] = []

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
      const store = new ContentStore(source, await loadReadableContent(source), onProblems)
      store.#problems = error.problems
      return store
    }
  }

  get current(): Content {
    return this.#current
  }

  /** The problems of the files as they are now (empty when the content in use is theirs). */
  get problems(): readonly ContentProblem[] {
    return this.#problems
  }

  /** Reloads if the files changed since the last load; returns the content to use now. */
  async refresh(): Promise<Content> {
    if (fingerprintContent(this.source) !== this.#current.fingerprint) {
      this.#reloading ??= loadContent(this.source)
        .then((content) => {
          this.#current = content
          this.#problems = []
        })
        .catch((error) => {
          if (!(error instanceof ContentError)) throw error
          this.#problems = error.problems
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
