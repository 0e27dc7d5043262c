import { z } from 'zod'
import { placeholderMessages } from './markdown'

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

const singleLine = (max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : 'expected text') })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !/[\r\n]/.test(value), 'must be a single line')
    .superRefine((value, ctx) => {
      for (const { message } of placeholderMessages(value)) ctx.addIssue({ code: 'custom', message })
    })

const slug = z
  .string({ error: 'expected text' })
  .regex(SLUG, 'expected lower-case letters, digits and single dashes, like "aftercare-basics"')
  .optional()

/**
 * What is wrong with an outside address a reader is sent to, if anything: it must be https (a
 * reader's mail app and browser open it as it is), a real host name, and carry nothing hidden.
 */
export function httpsUrlProblem(value: string): string | undefined {
  if (/\s/.test(value)) return 'must not contain spaces'
  if (!/^https:\/\//i.test(value))
    return /^http:/i.test(value)
      ? 'must start with https:// (http:// is not accepted)'
      : 'must be a full address starting with https://, like "https://www.nhs.uk/conditions/hair-loss/"'
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'is not a well-formed address'
  }
  if (/^[\d.]+$/.test(url.hostname) || url.hostname.startsWith('['))
    return 'must name a host, not an IP address'
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(url.hostname)) return `"${url.hostname}" is not a domain name`
  if (url.username || url.password) return 'must not carry a user name or password'
  return undefined
}

const httpsUrl = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : 'expected text') })
  .trim()
  .min(1, 'must not be empty')
  .superRefine((value, ctx) => {
    const problem = httpsUrlProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })

/** The keys of one `sources:` item, for the message about an unknown one. */
export const SOURCE_KEYS = ['title', 'url'] as const

/**
 * `sources:`: what a lesson or issue draws on (health services, regulators, papers), listed under
 * "Sources" on its page and linked from its email. Each item is `- title: "…"` with `url: "https://…"`.
 */
const sources = z
  .array(
    z.strictObject(
      { title: singleLine(200), url: httpsUrl },
      {
        error: (issue) =>
          issue.code === 'invalid_type' ? 'expected an item with title: and url: under it' : undefined,
      },
    ),
    { error: 'expected a list: each item a line "- title: …" with "url: …" under it' },
  )
  .min(1, 'must list at least one source (or leave the key out)')
  .max(20, 'must list at most 20 sources')
  .optional()

/** Front matter of a lesson. Unknown keys are errors: a typo must not pass silently. */
export const lessonFrontMatter = z.strictObject({
  title: singleLine(150),
  subject: singleLine(150),
  preview: singleLine(110),
  day: z
    .number({ error: (issue) => (issue.input === undefined ? 'required' : 'expected a whole number') })
    .int('expected a whole number')
    .min(0, 'must be 0 or more (days after confirmation)'),
  slug,
  /** Another course this lesson's email offers to start (a signed button for the reader). */
  offer: z
    .string({ error: 'expected the slug of another course' })
    .regex(SLUG, 'expected the slug of another course, like "unhappy-with-your-smp"')
    .optional(),
  sources,
})

/** A date, quoted ("2026-11-16") or not (YAML then gives a Date): either way YYYY-MM-DD. */
const isoDate = z.unknown().transform((value, ctx) => {
  if (value === undefined || value === null) {
    ctx.addIssue({ code: 'custom', message: 'required' })
    return z.NEVER
  }
  const text =
    value instanceof Date ? value.toISOString().slice(0, 10) : typeof value === 'string' ? value.trim() : ''
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) {
    ctx.addIssue({ code: 'custom', message: 'expected a date like "2026-11-16"' })
    return z.NEVER
  }
  return text
})

/** A paragraph: one or more lines of plain text (no blank line in it), at most `max` characters. */
const paragraph = (max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : 'expected text') })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !/\n\s*\n/.test(value), 'must be one paragraph (no blank line)')
    .transform((value) => value.replace(/\s+/g, ' '))

/** How readers move through a course (see the README's "Writing a course"). */
export const PACINGS = ['evergreen', 'cohort', 'self-paced'] as const

/** Front matter of a course (`lessons/<course-slug>/course.md`). */
export const courseFrontMatter = z.strictObject({
  title: singleLine(150),
  description: paragraph(600),
  order: z.number({ error: 'expected a whole number' }).int('expected a whole number').optional(),
  pacing: z
    .enum(PACINGS, { error: `expected one of ${PACINGS.join(', ')}` })
    .optional()
    .default('evergreen'),
  starts: isoDate.optional(),
  closes: isoDate.optional(),
  next_starts: isoDate.optional(),
  next_now: z.boolean({ error: 'expected true or false' }).optional().default(false),
  author: singleLine(150).optional(),
  reviewed: isoDate.optional(),
  disclaimer: paragraph(400).optional(),
})

/** Front matter of a newsletter issue. */
export const newsletterFrontMatter = z.strictObject({
  title: singleLine(150),
  subject: singleLine(150),
  preview: singleLine(110),
  date: isoDate,
  slug,
  sources,
})

/** The slug a file gets when its front matter has none: the name without its number or date prefix. */
export function slugFromFileName(fileName: string): string {
  return fileName
    .replace(/\.md$/i, '')
    .replace(/^\d{4}-\d{2}-\d{2}-/, '')
    .replace(/^\d+[-_]/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

/** The message for an unknown front-matter key, naming the allowed key it is probably a typo of. */
export function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const list = `(allowed: ${allowed.join(', ')})`
  const closest = closestKey(key, allowed)
  return closest ? `unknown key: did you mean "${closest}"? ${list}` : `unknown key ${list}`
}

/**
 * The allowed key nearest to `key`, if it is near enough to be a typo: at most 2 edits, and fewer for
 * short keys (one edit turns any 2-letter word into "day"-like noise).
 */
function closestKey(key: string, allowed: readonly string[]): string | undefined {
  const limit = Math.min(2, Math.ceil(key.length / 3))
  let best: { key: string; distance: number } | undefined
  for (const candidate of allowed) {
    const distance = editDistance(key.toLowerCase(), candidate)
    if (distance <= limit && (!best || distance < best.distance)) best = { key: candidate, distance }
  }
  return best?.key
}

/** Damerau–Levenshtein distance (optimal string alignment): swapped neighbours count as one typo. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let distance = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        distance = Math.min(distance, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = distance
    }
  }
  return rows[a.length]![b.length]!
}
