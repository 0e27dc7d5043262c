import type { Context, Hono } from 'hono'
import { cors } from 'hono/cors'
import type { Course } from '../../content/types'
import { subscribe } from '../../subscribers/signup'
import type { WebDeps } from '../deps'
import { messagePage } from '../layout'
import { markdownHtml } from '../markdown'
import { checkInboxPage, courseListPage, coursePage, type SignupFormState } from '../pages/signup'
import { clientIp, RateLimiter } from '../security'

const MESSAGE = 'Thanks! Check your inbox for a confirmation email.'

/**
 * GET / (the course list, or the one course's page), GET /courses/<slug> (a course's signup page),
 * POST /subscribe (form or JSON, CORS-enabled for embedding; `course` names the course), GET
 * /subscribe/thanks.
 */
export function signupRoutes(app: Hono, deps: WebDeps): void {
  const site = deps.config.mail.courseName
  const limiter = new RateLimiter(deps.config.web.subscribeRateLimit, 60_000)
  const showCourse = (c: Context, course: Course, state?: SignupFormState, status: 200 | 400 = 200) =>
    c.html(
      coursePage(
        site,
        course,
        markdownHtml(course.markdown),
        state,
        deps.clock.now().toISOString().slice(0, 10),
      ),
      status,
    )

  app.get('/', (c) => {
    const { courses } = deps.content()
    return courses.length === 1 ? showCourse(c, courses[0]!) : c.html(courseListPage(site, courses))
  })
  app.get('/courses/:slug', (c) => {
    const course = deps.content().course(c.req.param('slug'))
    if (!course)
      return c.html(messagePage(site, 'No such course', 'There is no course at this address.'), 404)
    return showCourse(c, course)
  })
  app.get('/subscribe/thanks', (c) => c.html(checkInboxPage(site)))
  // Forms and scripts on other sites may post here. hono/cors answers the preflight; on a post the
  // one header goes on the route's answer, in place. hono/cors (and c.header() once the route has
  // answered) build a second answer around the first, and on @hono/node-server that turns the
  // route's light answer into a full fetch Response: a tenth of a signup's time on the embedded default.
  const preflight = cors({
    origin: '*',
    allowMethods: ['POST'],
    allowHeaders: ['Content-Type'],
    maxAge: 86400,
  })
  app.use('/subscribe', async (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next)
    await next()
    c.res.headers.set('Access-Control-Allow-Origin', '*')
  })

  app.post('/subscribe', async (c) => {
    const json = (c.req.header('content-type') ?? '').includes('application/json')
    const ip = clientIp(c, deps.config.web.trustProxy)
    const waitMs = limiter.hit(ip ?? 'unknown', deps.clock.now().getTime())
    if (waitMs > 0) {
      c.header('Retry-After', String(Math.ceil(waitMs / 1000)))
      if (json)
        return c.json(
          { ok: false, error: 'Too many signups from your network. Please try again in a minute.' },
          429,
        )
      return c.html(
        messagePage(
          site,
          'Too many attempts',
          'Too many signups came from your network just now. Please wait a minute and try again.',
        ),
        429,
      )
    }
    let input: Record<string, unknown>
    if (json) {
      try {
        const body = await c.req.json()
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object')
        input = body as Record<string, unknown>
      } catch {
        return c.json(
          { ok: false, error: 'The body must be a JSON object such as {"email": "you@example.com"}.' },
          400,
        )
      }
    } else {
      const form = await c.req.parseBody()
      input = Object.fromEntries(
        Object.entries(form).map(([key, value]) => [key, typeof value === 'string' ? value : '']),
      )
    }
    const result = await subscribe(deps.subscribers, input, {
      source: json ? 'api:/subscribe' : 'form:/',
      ip,
    })
    if (!result.ok) {
      if (json) return c.json({ ok: false, errors: result.errors }, 400)
      const keep = (value: unknown) => (typeof value === 'string' ? value.slice(0, 1000) : '')
      const { courses } = deps.content()
      const course =
        courses.find((one) => one.slug === input.course) ?? (courses.length === 1 ? courses[0] : undefined)
      if (!course)
        return c.html(messagePage(site, 'Choose a course', result.errors.course ?? 'Choose a course.'), 400)
      return showCourse(
        c,
        course,
        {
          email: keep(input.email),
          name: keep(input.name),
          timezone: keep(input.timezone),
          errors: result.errors,
        },
        400,
      )
    }
    if (json) return c.json({ ok: true, message: MESSAGE }, 201)
    return c.redirect('/subscribe/thanks', 303)
  })
}
