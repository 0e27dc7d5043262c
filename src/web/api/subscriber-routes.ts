import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { readEnrolments } from '../../course/progress'
import type { Subscriber } from '../../db/rows'
import { canonicalZone } from '../../lib/timezones'
import { eraseSubscriber } from '../../privacy/privacy'
import { addConfirmed } from '../../subscribers/direct'
import { unsubscribe, updatePreferences } from '../../subscribers/preferences'
import { chooseCourse, subscribe } from '../../subscribers/signup'
import { findSubscriberById, findSubscriberByKey, listSubscribers } from '../../subscribers/store'
import { checkEmail } from '../../subscribers/validate'
import type { WebDeps } from '../deps'
import { type ApiEnv, cursor } from './guard'
import { fieldErrors, problem } from './problems'
import {
  CreateSubscriberSchema,
  IdParam,
  ListQuery,
  SubscriberListSchema,
  SubscriberSchema,
  subscriberBody,
  UpdateSubscriberSchema,
} from './schemas'
import { errorResponses, jsonBody, jsonContent, scoped } from './spec'

type Api = OpenAPIHono<ApiEnv>

const CreatedSchema = SubscriberSchema.extend({
  confirmation: z.enum(['sent', 'skipped']).openapi({
    description: '`sent`: a confirmation (or, for a confirmed reader, a "Start the course?" email) went out.',
  }),
}).openapi('CreatedSubscriber')

const ErasedSchema = z
  .object({
    erased: z.literal(true),
    enrolments: z.number().int(),
    deliveries: z.number().int(),
    email_events: z.number().int(),
  })
  .openapi('Erasure')

/** The subscriber operations: create, find, list, get, update, unsubscribe, erase, and course moves. */
export function subscriberRoutes(api: Api, deps: WebDeps): void {
  const { db, clock } = deps
  const withEnrolments = async (s: Subscriber) => subscriberBody(s, await readEnrolments(db, [s.id]))
  const slugs = () => deps.content().courses.map((c) => c.slug)

  api.openapi(
    createRoute({
      method: 'post',
      path: '/subscribers',
      summary: 'Create a subscriber',
      description:
        'Adds someone and enrols them in a course. By default they get a confirmation email and start once they confirm (double opt-in); an address already on the list is answered the same way (a confirmed reader gets a "Start the course?" email). With `skip_confirmation` (scope `subscribers:confirm`) they start at once and the `consent_statement` is recorded.',
      ...scoped('subscribers:write'),
      request: { body: jsonBody(CreateSubscriberSchema) },
      responses: {
        201: jsonContent(CreatedSchema, 'Created confirmed (skip_confirmation)'),
        202: jsonContent(CreatedSchema, 'Accepted: the person must confirm by email'),
        200: jsonContent(CreatedSchema, 'Already on the list (skip_confirmation): enrolled'),
        ...errorResponses(401, 403, 409, 422, 429),
      },
    }),
    async (c) => {
      const input = c.req.valid('json')
      const key = c.var.apiKey
      const source = `api:${key.name}${input.consent_source ? `: ${input.consent_source}` : ''}`
      const chosen = chooseCourse(input.course, slugs())
      if (input.skip_confirmation) {
        if (!key.scopes.includes('subscribers:confirm'))
          return problem(
            c,
            403,
            'Forbidden',
            'Skipping the confirmation needs the subscribers:confirm scope.',
          )
        const errors: Record<string, string> = {}
        if (!input.consent_statement?.trim())
          errors.consent_statement = 'required with skip_confirmation: the words the person agreed to'
        if (!chosen.ok) errors.course = chosen.message
        if (!chosen.ok || errors.consent_statement)
          return problem(c, 422, 'Invalid request', detailOf(errors), fieldErrors(errors))
        const done = await addConfirmed(deps.subscribers, {
          email: input.email,
          name: input.name,
          timezone: input.timezone,
          course: chosen.course,
          consentSource: source,
          consentStatement: input.consent_statement!.trim(),
          newsletter: input.newsletter,
        })
        if (!done.ok)
          return problem(
            c,
            done.status,
            statusTitle(done.status),
            detailOf(done.errors),
            fieldErrors(done.errors),
          )
        const body = { ...(await withEnrolments(done.subscriber)), confirmation: 'skipped' as const }
        return c.json(body, done.created ? 201 : 200)
      }
      if (input.timezone !== undefined && !canonicalZone(input.timezone)) {
        const errors = { timezone: 'not an IANA time zone such as Europe/Paris' }
        return problem(c, 422, 'Invalid request', detailOf(errors), fieldErrors(errors))
      }
      const result = await subscribe(
        deps.subscribers,
        {
          email: input.email,
          name: input.name,
          timezone: input.timezone,
          newsletter: input.newsletter,
          course: input.course,
        },
        { source, ip: null },
      )
      if (!result.ok) {
        const errors = { ...result.errors }
        return problem(c, 422, 'Invalid request', detailOf(errors), fieldErrors(errors))
      }
      const checked = checkEmail(input.email)
      const s = checked.ok ? await findSubscriberByKey(db, checked.key) : undefined
      if (!s) return problem(c, 409, 'Conflict', 'The address was erased at this very moment; try again.')
      return c.json({ ...(await withEnrolments(s)), confirmation: 'sent' as const }, 202)
    },
  )

  api.openapi(
    createRoute({
      method: 'get',
      path: '/subscribers',
      summary: 'List subscribers, or find one by address',
      description:
        'Pages in id order: pass `next_cursor` back as `cursor` until it is null. With `email`, the page holds that one subscriber or nobody.',
      ...scoped('subscribers:read'),
      request: { query: ListQuery },
      responses: {
        200: jsonContent(SubscriberListSchema, 'A page of subscribers'),
        ...errorResponses(400, 401, 403, 422, 429),
      },
    }),
    async (c) => {
      const query = c.req.valid('query')
      if (query.email !== undefined) {
        const checked = checkEmail(query.email)
        if (!checked.ok) {
          const errors = { email: checked.message }
          return problem(c, 422, 'Invalid request', detailOf(errors), fieldErrors(errors))
        }
        const s = await findSubscriberByKey(db, checked.key)
        return c.json({ data: s ? [await withEnrolments(s)] : [], next_cursor: null }, 200)
      }
      const after = cursor.decode(query.cursor)
      if (after === null) {
        const errors = { cursor: 'not a cursor this API gave out; start again without it' }
        return problem(c, 400, 'Invalid cursor', detailOf(errors), fieldErrors(errors))
      }
      const limit = query.limit ?? 100
      const rows = await listSubscribers(db, { after, limit: limit + 1, status: query.status })
      const page = rows.slice(0, limit)
      const enrolments = await readEnrolments(
        db,
        page.map((s) => s.id),
      )
      const data = page.map((s) =>
        subscriberBody(
          s,
          enrolments.filter((e) => e.subscriber_id === s.id),
        ),
      )
      const last = page.at(-1)
      return c.json({ data, next_cursor: rows.length > limit && last ? cursor.encode(last.id) : null }, 200)
    },
  )

  const idRoute = <M extends 'get' | 'patch' | 'delete'>(method: M) => ({
    method,
    path: '/subscribers/{id}',
    request: { params: IdParam },
  })
  const notFound = (c: Parameters<typeof problem>[0], id: number) =>
    problem(c, 404, 'Not found', `There is no subscriber ${id}.`)

  api.openapi(
    createRoute({
      ...idRoute('get'),
      summary: 'Get a subscriber',
      ...scoped('subscribers:read'),
      responses: {
        200: jsonContent(SubscriberSchema, 'The subscriber'),
        ...errorResponses(401, 403, 404, 422, 429),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const s = await findSubscriberById(db, id)
      return s ? c.json(await withEnrolments(s), 200) : notFound(c, id)
    },
  )

  api.openapi(
    createRoute({
      ...idRoute('patch'),
      summary: 'Update name, time zone or newsletter',
      description:
        'Fields left out stay as they are. A new time zone moves the waiting lessons to the new local hour.',
      ...scoped('subscribers:write'),
      request: { params: IdParam, body: jsonBody(UpdateSubscriberSchema) },
      responses: {
        200: jsonContent(SubscriberSchema, 'The subscriber as saved'),
        ...errorResponses(401, 403, 404, 422, 429),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const change = c.req.valid('json')
      if (change.timezone !== undefined && !canonicalZone(change.timezone)) {
        const errors = { timezone: 'not an IANA time zone such as Europe/Paris' }
        return problem(c, 422, 'Invalid request', detailOf(errors), fieldErrors(errors))
      }
      const result = await updatePreferences(deps.subscribers, id, {
        ...(change.name !== undefined ? { name: change.name ?? '' } : {}),
        ...(change.timezone !== undefined ? { timezone: change.timezone } : {}),
        ...(change.newsletter !== undefined ? { newsletter: change.newsletter } : {}),
      })
      if (!result) return notFound(c, id)
      if (!result.ok)
        return problem(c, 422, 'Invalid request', detailOf(result.errors), fieldErrors(result.errors))
      return c.json(await withEnrolments(result.subscriber), 200)
    },
  )

  api.openapi(
    createRoute({
      ...idRoute('delete'),
      summary: 'Erase a subscriber',
      description:
        'The same erasure as `course subscribers erase`: the person, their enrolments, deliveries and events are deleted; only a salted hash of the address stays so that nothing is sent to it again unless they subscribe anew.',
      ...scoped('subscribers:write'),
      responses: {
        200: jsonContent(ErasedSchema, 'What was erased'),
        ...errorResponses(401, 403, 404, 422, 429),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const s = await findSubscriberById(db, id)
      const erased = s ? await eraseSubscriber(db, s.email_key, clock.now()) : undefined
      if (!erased) return notFound(c, id)
      deps.logger.info({ subscriberId: id, key: c.var.apiKey.prefix }, 'api: subscriber erased')
      return c.json(
        {
          erased: true as const,
          enrolments: erased.enrolments,
          deliveries: erased.deliveries,
          email_events: erased.emailEvents,
        },
        200,
      )
    },
  )

  api.openapi(
    createRoute({
      method: 'post',
      path: '/subscribers/{id}/unsubscribe',
      summary: 'Unsubscribe from everything',
      description: 'Stops all mail at once, as the one-click link does. Only the person can come back.',
      ...scoped('subscribers:write'),
      request: { params: IdParam },
      responses: {
        200: jsonContent(SubscriberSchema, 'The subscriber'),
        ...errorResponses(401, 403, 404, 422, 429),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const s = await unsubscribe(deps.subscribers, id, `api:${c.var.apiKey.name}`)
      return s ? c.json(await withEnrolments(s), 200) : notFound(c, id)
    },
  )
}

function detailOf(errors: Record<string, string | undefined>): string {
  return fieldErrors(errors)
    .map((e) => `${e.field}: ${e.message.replace(/\.$/, '')}`)
    .join('; ')
}

function statusTitle(status: 409 | 422): string {
  return status === 409 ? 'Conflict' : 'Invalid request'
}
