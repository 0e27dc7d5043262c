import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { readEnrolments } from '../../course/progress'
import type { Subscriber } from '../../db/rows'
import { enrolInCourse } from '../../subscribers/direct'
import { changeCourse } from '../../subscribers/preferences'
import { findSubscriberById } from '../../subscribers/store'
import type { WebDeps } from '../deps'
import type { ApiEnv } from './guard'
import { fieldErrors, problem } from './problems'
import { EnrolBodySchema, IdParam, SubscriberSchema, subscriberBody } from './schemas'
import { errorResponses, jsonBody, jsonContent, scoped } from './spec'

const ACTIONS = ['pause', 'resume', 'leave'] as const

/** A subscriber's courses: enrol in one, and pause, resume or leave it. */
export function enrolmentRoutes(api: OpenAPIHono<ApiEnv>, deps: WebDeps): void {
  const { db } = deps
  const withEnrolments = async (s: Subscriber) => subscriberBody(s, await readEnrolments(db, [s.id]))
  const slugs = () => deps.content().courses.map((c) => c.slug)
  const notFound = (c: Parameters<typeof problem>[0], id: number) =>
    problem(c, 404, 'Not found', `There is no subscriber ${id}.`)

  api.openapi(
    createRoute({
      method: 'post',
      path: '/subscribers/{id}/enrolments',
      summary: 'Enrol in a course',
      description:
        'A confirmed reader starts the course now; a pending one starts when they confirm. Someone who unsubscribed, bounced or complained is refused (409).',
      ...scoped('subscribers:write'),
      request: { params: IdParam, body: jsonBody(EnrolBodySchema) },
      responses: {
        200: jsonContent(SubscriberSchema, 'The subscriber'),
        ...errorResponses(401, 403, 404, 409, 422, 429),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const { course } = c.req.valid('json')
      if (!slugs().includes(course)) {
        const errors = { course: `no course "${course.slice(0, 60)}"; courses: ${slugs().join(', ')}` }
        return problem(c, 422, 'Invalid request', errors.course, fieldErrors(errors))
      }
      const done = await enrolInCourse(deps.subscribers, id, course, `api:${c.var.apiKey.name}`)
      if (!done.ok)
        return done.status === 404
          ? notFound(c, id)
          : problem(c, 409, 'Conflict', `Cannot enrol: ${done.message}.`)
      const s = await findSubscriberById(db, id)
      return s ? c.json(await withEnrolments(s), 200) : notFound(c, id)
    },
  )

  for (const action of ACTIONS) {
    api.openapi(
      createRoute({
        method: 'post',
        path: `/subscribers/{id}/enrolments/{course}/${action}`,
        summary: `${action[0]!.toUpperCase()}${action.slice(1)} a course`,
        description:
          action === 'resume'
            ? 'Resumes a paused course (or one they left) where it stopped, spacing the rest as before.'
            : action === 'pause'
              ? 'Pauses an active course: nothing more is sent until it is resumed.'
              : 'Leaves the course; other courses and the newsletter go on.',
        ...scoped('subscribers:write'),
        request: {
          params: IdParam.extend({
            course: z
              .string()
              .openapi({ param: { name: 'course', in: 'path' }, example: 'avoiding-smp-regrets' }),
          }),
        },
        responses: {
          200: jsonContent(SubscriberSchema, 'The subscriber'),
          ...errorResponses(401, 403, 404, 409, 422, 429),
        },
      }),
      async (c) => {
        const { id, course } = c.req.valid('param')
        const s = await findSubscriberById(db, id)
        if (!s) return notFound(c, id)
        const enrolled = (await readEnrolments(db, [id], { course })).length > 0
        if (!enrolled)
          return problem(c, 404, 'Not found', `Subscriber ${id} is not enrolled in "${course.slice(0, 60)}".`)
        const changed = await changeCourse(deps.subscribers, id, course, action)
        const after = await findSubscriberById(db, id)
        if (!after) return notFound(c, id)
        const body = await withEnrolments(after)
        if (!changed) {
          const state = body.enrolments.find((e) => e.course === course)?.status ?? 'unknown'
          return problem(c, 409, 'Conflict', `Cannot ${action} a course that is ${state}.`)
        }
        return c.json(body, 200)
      },
    )
  }
}
