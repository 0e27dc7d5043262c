import { compileLesson, type SiteInfo } from '../../src/content/compile'
import { greetingName, type PersonalValues, personalize } from '../../src/content/personalize'
import type { Course } from '../../src/content/types'
import { type ComposeSettings, composeEmail } from '../../src/delivery/compose'
import type { Member } from '../../src/delivery/store/batches'
import { createToken, urls, viewInBrowserUrl } from '../../src/lib/links'
import type { BenchContext } from './context'
import { median, type Row, repeat } from './report'
import { benchContent } from './services'
import { benchConfig } from './setup'

const GROUP = '1. Personalization (every lesson in turn, 1,000 distinct readers)'
const READERS = 1000

/** Calls `once` for at least `ms` and returns how many calls per second it managed. */
async function ratePerSecond(ms: number, once: (i: number) => unknown | Promise<unknown>): Promise<number> {
  const start = performance.now()
  let count = 0
  // Check the clock every few calls only: reading it costs about as much as one personalize.
  while (performance.now() - start < ms) {
    for (let i = 0; i < 16; i++) await once(count++)
  }
  return count / ((performance.now() - start) / 1000)
}

/** What differs per reader, computed beforehand so both sides time only the email itself. */
function readerValues(course: Course, baseUrl: string, secret: string): PersonalValues[] {
  return Array.from({ length: READERS }, (_, i) => {
    const lesson = course.lessons[i % course.lessons.length]!
    return {
      firstName: greetingName(i % 7 === 0 ? `O'Brien <${i}> & Co` : `Reader${i} Example`),
      unsubscribeUrl: urls.unsubscribe(
        baseUrl,
        createToken(secret, `leave:${course.slug}`, i + 1),
        course.slug,
      ),
      preferencesUrl: urls.preferences(baseUrl, createToken(secret, 'preferences', i + 1)),
      viewInBrowserUrl: viewInBrowserUrl(baseUrl, 'lesson', course.slug, lesson.slug),
      confirmUrl: '',
      startUrl: '',
      offerUrl: '',
      nextUrl: '',
    }
  })
}

/** A claimed delivery as loadMembers returns it, for composeEmail (the sender's per-email work). */
function member(i: number, course: Course): Member {
  const lesson = course.lessons[i % course.lessons.length]!
  return {
    id: i + 1,
    kind: 'lesson',
    course: course.slug,
    round: 1,
    item: lesson.slug,
    created_at: new Date('2027-01-04T08:00:00Z'),
    subscriber_id: i + 1,
    email: `reader${i}@example.org`,
    name: `Reader${i} Example`,
    timezone: 'UTC',
    status: 'confirmed',
    newsletter_opt_in: true,
  }
}

/**
 * Emails prepared per second: compile once, then `personalize` (a join of precut parts), against
 * rendering every reader's email through React Email (`compileLesson`, the same render and
 * HTML-to-text step the build does once) and personalizing that.
 */
export async function benchPersonalize(ctx: BenchContext): Promise<Row[]> {
  const config = benchConfig()
  const content = (await benchContent(config)).current
  const site: SiteInfo = {
    courseName: config.mail.courseName,
    baseUrl: config.baseUrl,
    postalAddress: config.mail.postalAddress,
  }
  const course = content.courses[0]!
  const values = readerValues(course, config.baseUrl, config.secret)
  const lessons = course.lessons
  const compiled = lessons.map((lesson) => content.compiled('lesson', course.slug, lesson.slug)!)
  const members = Array.from({ length: READERS }, (_, i) => member(i, course))
  const compose: ComposeSettings = {
    baseUrl: config.baseUrl,
    from: config.mail.from,
    replyTo: undefined,
    secret: config.secret,
  }
  let sink = 0 // keeps the results alive so the work cannot be optimised away
  // Reading a character flattens V8's lazy concatenation: without it a personalised email would be a
  // rope of pointers, and its real cost would show up later, when the SDK serialises it.
  const use = (email: { html: string; text: string }) => {
    sink += email.html.charCodeAt(email.html.length >> 1) + email.text.charCodeAt(email.text.length >> 1)
  }
  const fast = (i: number) => use(personalize(compiled[i % compiled.length]!, values[i % READERS]!))
  const composed = (i: number) => use(composeEmail(members[i % READERS]!, content, compose)!)
  const slow = async (i: number) => {
    const n = i % lessons.length
    const fresh = await compileLesson(
      lessons[n]!,
      { courseTitle: course.title, number: n + 1, count: lessons.length },
      site,
    )
    use(personalize(fresh, values[i % READERS]!))
  }
  const { slowMs, fastMs } = ctx.quick ? { slowMs: 1000, fastMs: 400 } : { slowMs: 3000, fastMs: 1000 }
  // Warm-up: JIT, React's module state, caches.
  await ratePerSecond(fastMs / 2, fast)
  await ratePerSecond(fastMs / 2, composed)
  await ratePerSecond(slowMs / 3, slow)

  const runs = await repeat(ctx.runs, async () => ({
    fast: await ratePerSecond(fastMs, fast),
    composed: await ratePerSecond(fastMs, composed),
    slow: await ratePerSecond(slowMs, slow),
  }))
  if (sink === 0) throw new Error('no email was produced')
  const fastRate = median(runs.map((r) => r.fast))
  const composedRate = median(runs.map((r) => r.composed))
  const slowRate = median(runs.map((r) => r.slow))
  const baseline = { label: 'React Email render per reader', value: slowRate, unit: 'emails/s' }
  return [
    {
      group: GROUP,
      figure: 'compile once + personalize',
      value: fastRate,
      unit: 'emails/s',
      baseline,
      aim: '>= 100x',
      ratio: fastRate / slowRate,
      runs: ctx.runs,
    },
    {
      group: GROUP,
      figure: 'composeEmail (personalize + HMAC tokens + headers)',
      value: composedRate,
      unit: 'emails/s',
      baseline,
      ratio: composedRate / slowRate,
      runs: ctx.runs,
    },
  ]
}
