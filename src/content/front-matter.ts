import { z } from 'zod'

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

const singleLine = (max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : 'expected text') })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !/[\r\n]/.test(value), 'must be a single line')

const slug = z
  .string({ error: 'expected text' })
  .regex(SLUG, 'expected lower-case letters, digits and single dashes, like "aftercare-basics"')
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

/** Front matter of a newsletter issue. */
export const newsletterFrontMatter = z.strictObject({
  title: singleLine(150),
  subject: singleLine(150),
  preview: singleLine(110),
  date: isoDate,
  slug,
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
