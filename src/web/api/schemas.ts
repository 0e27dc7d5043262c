import { z } from '@hono/zod-openapi'
import { SCOPES } from '../../access/keys'
import type { Enrolment } from '../../course/progress'
import type { Subscriber } from '../../db/rows'

/** The API's shapes: they validate requests and describe the OpenAPI document, from one definition. */

export const EnrolmentSchema = z
  .object({
    course: z.string().openapi({ example: 'avoiding-smp-regrets' }),
    status: z.enum(['pending', 'active', 'paused', 'left', 'completed']),
    round: z.number().int().openapi({ description: 'A restart begins round 2, 3…' }),
    day_zero: z
      .string()
      .nullable()
      .openapi({ description: 'Local date of lesson day 0 (null before the start).' }),
    last_day: z.number().int().nullable().openapi({ description: 'The day of the last lesson handled.' }),
    completed_at: z.string().nullable(),
  })
  .openapi('Enrolment')

export const SubscriberSchema = z
  .object({
    id: z.number().int().openapi({ example: 42 }),
    email: z.string().openapi({ example: 'reader@example.com' }),
    name: z.string().nullable().openapi({ example: 'Sam' }),
    timezone: z.string().openapi({ example: 'Europe/London' }),
    status: z.enum(['pending', 'confirmed', 'unsubscribed', 'bounced', 'complained']),
    newsletter: z.boolean(),
    consent: z.object({
      at: z.string().nullable(),
      source: z.string().nullable(),
      statement: z
        .string()
        .nullable()
        .openapi({ description: 'Supplied by an API caller that skipped the confirmation email.' }),
    }),
    created_at: z.string(),
    confirmed_at: z.string().nullable(),
    unsubscribed_at: z.string().nullable(),
    enrolments: z.array(EnrolmentSchema),
  })
  .openapi('Subscriber')

export type SubscriberBody = z.infer<typeof SubscriberSchema>

export function subscriberBody(s: Subscriber, enrolments: readonly Enrolment[]): SubscriberBody {
  return {
    id: Number(s.id),
    email: s.email,
    name: s.name,
    timezone: s.timezone,
    status: s.status,
    newsletter: s.newsletter_opt_in,
    consent: {
      at: s.consent_at?.toISOString() ?? null,
      source: s.consent_source,
      statement: s.consent_statement,
    },
    created_at: s.created_at.toISOString(),
    confirmed_at: s.confirmed_at?.toISOString() ?? null,
    unsubscribed_at: s.unsubscribed_at?.toISOString() ?? null,
    enrolments: enrolments.map((e) => ({
      course: e.course,
      status: e.status,
      round: e.round,
      day_zero: e.anchor_date,
      last_day: e.last_day,
      completed_at: e.completed_at?.toISOString() ?? null,
    })),
  }
}

export const CreateSubscriberSchema = z
  .object({
    email: z.string().openapi({ example: 'reader@example.com' }),
    name: z.string().optional().openapi({ example: 'Sam' }),
    timezone: z
      .string()
      .optional()
      .openapi({ example: 'Europe/London', description: 'IANA time zone; default UTC.' }),
    course: z
      .string()
      .optional()
      .openapi({ description: 'The course to enrol in (may be left out when there is one).' }),
    newsletter: z.boolean().optional().openapi({ description: 'Default true.' }),
    consent_source: z.string().max(200).optional().openapi({
      example: 'shop checkout, opt-in box',
      description: 'Where the consent came from (recorded).',
    }),
    skip_confirmation: z.boolean().optional().openapi({
      description:
        'Create the subscriber confirmed, without the confirmation email. Needs the `subscribers:confirm` scope and `consent_statement`.',
    }),
    consent_statement: z.string().max(2000).optional().openapi({
      example: 'Send me the free email course and the occasional newsletter.',
      description: 'The words the person agreed to, recorded with them (required with skip_confirmation).',
    }),
  })
  .strict()
  .openapi('CreateSubscriber')

export const UpdateSubscriberSchema = z
  .object({
    name: z.string().nullable().optional(),
    timezone: z.string().optional(),
    newsletter: z.boolean().optional(),
  })
  .strict()
  .openapi('UpdateSubscriber')

export const IdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' }, example: 42 }),
})

export const ListQuery = z.object({
  email: z.string().optional().openapi({ description: 'Find one subscriber by address (any case).' }),
  status: z.enum(['pending', 'confirmed', 'unsubscribed', 'bounced', 'complained']).optional(),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .openapi({ description: 'Default 100, at most 500.' }),
  cursor: z.string().optional().openapi({ description: 'The `next_cursor` of the previous page.' }),
})

export const SubscriberListSchema = z
  .object({
    data: z.array(SubscriberSchema),
    next_cursor: z
      .string()
      .nullable()
      .openapi({ description: 'Pass as `cursor` for the next page; null at the end.' }),
  })
  .openapi('SubscriberList')

export const EnrolBodySchema = z
  .object({ course: z.string().openapi({ example: 'avoiding-smp-regrets' }) })
  .strict()
  .openapi('Enrol')

export const CourseSchema = z
  .object({
    slug: z.string(),
    title: z.string(),
    description: z.string(),
    pacing: z.enum(['evergreen', 'cohort', 'self-paced']),
    lessons: z.array(z.object({ slug: z.string(), title: z.string(), day: z.number().int() })),
  })
  .openapi('Course')

export const StatsQuery = z.object({
  days: z.coerce.number().int().min(1).max(366).optional(),
  course: z.string().optional(),
})

export const StatsSchema = z
  .object({
    generatedAt: z.string(),
    range: z.object({ from: z.string(), to: z.string(), days: z.number().int() }),
    subscribers: z.array(z.object({ status: z.string(), count: z.number().int() })),
    daily: z.array(z.object({ day: z.string(), signups: z.number().int(), confirmations: z.number().int() })),
    courses: z.array(z.object({ slug: z.string(), title: z.string() })),
    lessons: z.array(z.record(z.string(), z.unknown())),
    funnel: z.array(
      z.object({ course: z.string(), step: z.string(), people: z.number().int(), share: z.number() }),
    ),
    newsletters: z.array(z.record(z.string(), z.unknown())),
  })
  .openapi('Stats')

export const ScopeList = SCOPES
