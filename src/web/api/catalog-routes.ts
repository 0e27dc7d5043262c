import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { readStats } from '../../stats/report'
import type { WebDeps } from '../deps'
import type { ApiEnv } from './guard'
import { problem } from './problems'
import { CourseSchema, StatsQuery, StatsSchema } from './schemas'
import { anyKey, errorResponses, jsonContent, scoped } from './spec'

/** The courses (any valid key) and the figures the dashboard shows (`stats:read`). */
export function catalogRoutes(api: OpenAPIHono<ApiEnv>, deps: WebDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/courses',
      summary: 'List the courses',
      description: 'Every course of the installation in listing order, with its lessons and pacing.',
      ...anyKey,
      responses: {
        200: jsonContent(z.object({ data: z.array(CourseSchema) }), 'The courses'),
        ...errorResponses(401, 429),
      },
    }),
    (c) =>
      c.json(
        {
          data: deps.content().courses.map((course) => ({
            slug: course.slug,
            title: course.title,
            description: course.description,
            pacing: course.pacing.mode,
            lessons: course.lessons.map((l) => ({ slug: l.slug, title: l.title, day: l.day })),
          })),
        },
        200,
      ),
  )

  api.openapi(
    createRoute({
      method: 'get',
      path: '/stats',
      summary: 'Read the figures',
      description:
        'What the dashboard and `course stats` show: subscribers by state, daily signups and confirmations, each lesson and issue, and each course funnel. Opens are unreliable (mail apps load or block images).',
      ...scoped('stats:read'),
      request: { query: StatsQuery },
      responses: { 200: jsonContent(StatsSchema, 'The figures'), ...errorResponses(401, 403, 422, 429) },
    }),
    async (c) => {
      const { days, course } = c.req.valid('query')
      const content = deps.content()
      if (course !== undefined && !content.courses.some((x) => x.slug === course))
        return problem(c, 422, 'Invalid request', `course: no course "${course.slice(0, 60)}"`, [
          { field: 'course', message: `no course "${course.slice(0, 60)}"` },
        ])
      const report = await readStats(deps.db, content, deps.clock.now(), { days, course })
      return c.json(report as unknown as z.infer<typeof StatsSchema>, 200)
    },
  )
}
