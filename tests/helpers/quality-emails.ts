import path from 'node:path'
import { type Content, loadContent } from '../../src/content/catalog'
import type { SiteInfo } from '../../src/content/compile'
import type { DeliveryKind } from '../../src/db/rows'
import { type ComposeSettings, composeEmail } from '../../src/delivery/compose'
import type { Member } from '../../src/delivery/store/batches'
import type { OutgoingEmail } from '../../src/mail/mailer'
import { buildMime } from '../../src/mail/mime'

// No vitest imports here: scripts/screenshots.ts builds the same emails outside the test runner.

const REPO_ROOT = path.resolve(import.meta.dirname, '../..')

/** Reports and screenshots go here (gitignored). */
export const ARTIFACTS = path.join(REPO_ROOT, 'artifacts')

/** Content made only to exercise the checks (a subject outside ASCII, an image, an outside link). */
export const QUALITY_FIXTURES = path.join(REPO_ROOT, 'tests/fixtures/quality')

/** The site as the test harness configures it (createHarness), so links name the same pages. */
export const QUALITY_SITE: SiteInfo = {
  courseName: 'Avoiding SMP regrets',
  baseUrl: 'https://course.example.org',
  postalAddress: '1 Test Street, Testville',
}

export const QUALITY_SENDER: ComposeSettings = {
  baseUrl: QUALITY_SITE.baseUrl,
  from: 'SMP Course <course@mail.example.org>',
  replyTo: undefined,
  secret: 'quality-secret-quality-secret-quality-0123',
}

/** Who an email is written for: what composeEmail reads from the subscriber and the delivery. */
export interface Recipient {
  id: number
  email: string
  name: string | null
  /** When the confirmation was queued (its link expires 7 days later). */
  queuedAt: Date
}

/** A reader whose name is not plain ASCII, so personalisation is checked with more than "Sam". */
export const SAMPLE_RECIPIENT: Recipient = {
  id: 4242,
  email: 'reader@example.net',
  name: 'Zoë Martin',
  queuedAt: new Date('2027-01-04T08:00:00Z'),
}

/** One email exactly as one recipient would get it. */
export interface QualityEmail {
  /** `lesson/welcome`, `newsletter/healed-results`, `confirmation/confirm`; fixtures start with `fixture/`. */
  name: string
  kind: DeliveryKind
  slug: string
  /** True for content from tests/fixtures/quality (not shipped, but held to the same rules). */
  fixture: boolean
  email: OutgoingEmail
}

/** The lessons and newsletters the project ships, compiled as `npm run build` and the sender do. */
export function loadShippedContent(site: SiteInfo = QUALITY_SITE): Promise<Content> {
  return loadContent({
    lessonsDir: path.join(REPO_ROOT, 'lessons'),
    newslettersDir: path.join(REPO_ROOT, 'newsletters'),
    site,
  })
}

/** The fixture newsletters, next to the real lessons (content needs at least one lesson to load). */
export function loadFixtureContent(site: SiteInfo = QUALITY_SITE): Promise<Content> {
  return loadContent({
    lessonsDir: path.join(REPO_ROOT, 'lessons'),
    newslettersDir: path.join(QUALITY_FIXTURES, 'newsletters'),
    site,
  })
}

function member(
  kind: DeliveryKind,
  course: string | null,
  item: string,
  deliveryId: number,
  to: Recipient,
): Member {
  const ask = kind === 'confirmation' || kind === 'invitation'
  return {
    id: deliveryId,
    kind,
    course,
    round: 1,
    item: ask ? null : item,
    created_at: to.queuedAt,
    subscriber_id: to.id,
    email: to.email,
    name: to.name,
    timezone: 'UTC',
    status: kind === 'confirmation' ? 'pending' : 'confirmed',
    newsletter_opt_in: true,
  }
}

/**
 * Every email in `content` (each course's lessons, newsletters, and each course's confirmation and
 * invitation unless `confirmation` is false)
 * composed by the sender's own composeEmail for one recipient.
 */
export function composeAll(
  content: Content,
  options: {
    settings?: ComposeSettings
    to?: Recipient
    fixture?: boolean
    confirmation?: boolean
    only?: DeliveryKind[]
  } = {},
): QualityEmail[] {
  const { settings = QUALITY_SENDER, to = SAMPLE_RECIPIENT, fixture = false, confirmation = true } = options
  // [kind, course, name within the kind, item]
  type Wanted = [DeliveryKind, string | null, string, string]
  const wanted: Wanted[] = [
    ...content.courses.flatMap((course): Wanted[] => [
      ...course.lessons.map(
        (lesson): Wanted => ['lesson', course.slug, `${course.slug}/${lesson.slug}`, lesson.slug],
      ),
      ...(confirmation
        ? ([
            ['confirmation', course.slug, course.slug, `confirm-${to.queuedAt.getTime()}`],
            ['invitation', course.slug, course.slug, `start-${to.queuedAt.getTime()}`],
          ] as Wanted[])
        : []),
    ]),
    ...content.newsletters.map((issue): Wanted => ['newsletter', null, issue.slug, issue.slug]),
  ].filter(([kind]) => !options.only || options.only.includes(kind))
  return wanted.map(([kind, course, slug, item], index) => {
    const email = composeEmail(member(kind, course, item, index + 1, to), content, settings)
    if (!email) throw new Error(`composeEmail found no content for ${kind} ${course ?? ''} ${item}`)
    return { name: `${fixture ? 'fixture/' : ''}${kind}/${slug}`, kind, slug, fixture, email }
  })
}

/** Every shipped email plus the fixture newsletters, for the sample recipient. */
export async function loadQualityEmails(): Promise<QualityEmail[]> {
  const [shipped, fixtures] = await Promise.all([loadShippedContent(), loadFixtureContent()])
  return [
    ...composeAll(shipped),
    ...composeAll(fixtures, { fixture: true, confirmation: false, only: ['newsletter'] }),
  ]
}

/** The message the outbox would write for this email (same builder, a fixed Date and Message-ID). */
export function toMime(email: QualityEmail, date = new Date('2027-01-04T09:00:00Z')): Promise<Buffer> {
  return buildMime(email.email, {
    date,
    messageId: `<${email.name.replace(/[^A-Za-z0-9.-]/g, '.')}@quality.course.test>`,
  })
}

/** Runs `fn` over `items` with at most `limit` running at once; results keep the input order. */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** Every href in an HTML document, with `&amp;` decoded (what a click would open). */
export function hrefs(html: string): string[] {
  return [...html.matchAll(/<a\b[^>]*?\shref="([^"]*)"/gi)].map((match) =>
    (match[1] as string).replaceAll('&amp;', '&'),
  )
}
