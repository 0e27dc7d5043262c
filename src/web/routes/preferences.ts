import type { Hono } from 'hono'
import { type Enrolment, readEnrolments } from '../../course/progress'
import type { Subscriber } from '../../db/rows'
import { canonicalZone, zoneGroups } from '../../lib/timezones'
import {
  type CourseAction,
  changeCourse,
  resubscribe,
  unsubscribe,
  updatePreferences,
} from '../../subscribers/preferences'
import { findSubscriberById } from '../../subscribers/store'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'
import { subscriberFromToken } from './unsubscribe'

const BAD_LINK =
  'This link is not valid. Please use the complete "Email preferences" link from one of our emails.'
const ZONE_GROUPS = zoneGroups()

/**
 * The zone picker: grouped by region, under each zone's current name, with the reader's zone selected
 * whatever name it was stored under. A stored zone the list lacks (a fixed offset such as Etc/GMT+5)
 * is offered first, so saving other settings never changes it.
 */
function zonePicker(stored: string) {
  const current = canonicalZone(stored) ?? 'UTC'
  const listed = ZONE_GROUPS.some((group) => group.zones.some((zone) => zone.value === current))
  const option = (value: string, label: string) =>
    html`<option value="${value}"${value === current ? html` selected` : ''}>${label}</option>`
  return html`<select id="timezone" name="timezone">${listed ? '' : option(current, current)}${ZONE_GROUPS.map(
    (group) =>
      group.region === 'UTC'
        ? group.zones.map((zone) => option(zone.value, 'UTC (no daylight saving)'))
        : html`<optgroup label="${group.region}">${group.zones.map((zone) => option(zone.value, zone.label))}</optgroup>`,
  )}</select>`
}

interface PreferencesForm {
  notice?: string
  /** What the reader typed, shown again with the problem when it could not be saved. */
  name?: string
  nameError?: string
}

/** One of the reader's courses, as the page lists it. */
interface CourseRow {
  enrolment: Enrolment
  title: string
  /** The days of its lessons, to say how far the reader is. */
  days: readonly number[]
}

/** Where a reader stands in a course, in words, and what they may do about it. */
function courseState(row: CourseRow): { state: string; actions: [CourseAction, string][] } {
  const { enrolment, days } = row
  const lastDay = enrolment.last_day
  const done = lastDay === null ? 0 : days.filter((day) => day <= lastDay).length
  const progress = `${done} of ${days.length} lessons so far`
  switch (enrolment.status) {
    case 'pending':
      return { state: 'waiting for you to start it', actions: [['start', 'Start it']] }
    case 'active':
      return {
        state: `running: ${progress}`,
        actions: [
          ['pause', 'Pause'],
          ['leave', 'Leave'],
        ],
      }
    case 'paused':
      return {
        state: `paused: ${progress}`,
        actions: [
          ['resume', 'Resume where I left off'],
          ['leave', 'Leave'],
        ],
      }
    case 'left':
      return {
        state: `left: ${progress}`,
        actions: [
          ['resume', 'Rejoin where I left off'],
          ['restart', 'Start again from the beginning'],
        ],
      }
    case 'completed':
      return { state: 'finished', actions: [['restart', 'Start again from the beginning']] }
  }
}

function preferencesPage(
  site: string,
  token: string,
  s: Subscriber,
  courses: readonly CourseRow[],
  form: PreferencesForm = {},
): string {
  const { notice, nameError } = form
  const left = s.status !== 'confirmed' && s.status !== 'pending'
  return page({
    title: 'Email preferences',
    siteName: site,
    body: html`<h1>Email preferences</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${nameError ? html`<p class="error" role="alert">Nothing was saved: ${nameError}</p>` : ''}
<p>For <strong>${s.email}</strong>.</p>
${
  left
    ? html`<form method="post" action="/preferences" class="card"><input type="hidden" name="token" value="${token}">
<p>You are unsubscribed and get no emails from us.</p>
${s.status === 'unsubscribed' ? html`<button type="submit" name="action" value="resubscribe">Resubscribe and continue where you were</button>` : html`<p>To subscribe again, <a href="/">sign up</a> and confirm your address.</p>`}
</form>`
    : html`<form method="post" action="/preferences" class="card"><input type="hidden" name="token" value="${token}">
<label for="name">First name</label>
<input id="name" name="name" type="text" maxlength="100" autocomplete="given-name" value="${form.name ?? s.name ?? ''}"${nameError ? html` aria-invalid="true" aria-describedby="name-error"` : ''}>
${nameError ? html`<p class="error" id="name-error">${nameError}</p>` : ''}
<label for="timezone">Time zone <span class="muted">(lessons arrive in the morning, your time)</span></label>
${zonePicker(s.timezone)}
<label class="check"><input type="checkbox" name="newsletter" value="1"${s.newsletter_opt_in ? html` checked` : ''}> Send me the occasional newsletter</label>
<button type="submit" name="action" value="save">Save</button>
<button class="secondary" type="submit" name="action" value="unsubscribe">Unsubscribe from everything</button>
</form>
<h2>Your courses</h2>
${
  courses.length === 0
    ? html`<p class="muted">You are not in any course. <a href="/">See the courses</a>.</p>`
    : courses.map((row) => {
        const { state, actions } = courseState(row)
        return html`<form method="post" action="/preferences" class="card"><input type="hidden" name="token" value="${token}">
<h3>${row.title}</h3>
<p class="muted">${state}</p>
${actions.map(([action, label], i) => html`<button${i > 0 ? html` class="secondary"` : ''} type="submit" name="action" value="course:${action}:${row.enrolment.course}">${label}</button>`)}
</form>`
      })
}`
}`,
  })
}

/** GET /preferences shows the person's settings and courses; POST saves, changes a course, unsubscribes or resubscribes. */
export function preferencesRoutes(app: Hono, deps: WebDeps): void {
  const site = deps.config.mail.courseName
  const coursesOf = async (s: Subscriber): Promise<CourseRow[]> => {
    const content = deps.content()
    return (await readEnrolments(deps.db, [s.id])).map((enrolment) => {
      const course = content.course(enrolment.course)
      return {
        enrolment,
        title: course?.title ?? enrolment.course,
        days: course?.lessons.map((l) => l.day) ?? [],
      }
    })
  }
  const show = async (token: string, s: Subscriber, form?: PreferencesForm) =>
    preferencesPage(site, token, s, await coursesOf(s), form)

  app.get('/preferences', async (c) => {
    const token = c.req.query('token')
    if (token === undefined) {
      return c.html(
        messagePage(
          site,
          'Email preferences',
          'Use the "Email preferences" link at the bottom of any email from us to change your settings.',
        ),
      )
    }
    const s = await subscriberFromToken(deps, 'preferences', token)
    if (!s) return c.html(messagePage(site, 'Link not valid', BAD_LINK), 400)
    return c.html(await show(token, s))
  })

  app.post('/preferences', async (c) => {
    const body = await c.req.parseBody()
    const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined)
    const token = field('token')
    const s = await subscriberFromToken(deps, 'preferences', token)
    if (!s || !token) return c.html(messagePage(site, 'Link not valid', BAD_LINK), 400)
    const action = field('action') ?? 'save'
    const fresh = async () => (await findSubscriberById(deps.db, s.id)) ?? s
    if (action === 'unsubscribe') {
      await unsubscribe(deps.subscribers, s.id, 'preferences')
      return c.html(
        await show(token, await fresh(), { notice: 'You are unsubscribed. No more emails will be sent.' }),
      )
    }
    if (action === 'resubscribe') {
      await resubscribe(deps.subscribers, s.id)
      return c.html(
        await show(token, await fresh(), {
          notice: 'Welcome back: your courses continue where you left off.',
        }),
      )
    }
    if (action.startsWith('course:')) {
      const [, verb, course] = action.split(':') as [string, CourseAction, string | undefined]
      const known: CourseAction[] = ['start', 'pause', 'resume', 'leave', 'restart']
      if (!course || !known.includes(verb))
        return c.html(messagePage(site, 'Not understood', 'That button is not one of ours.'), 400)
      if (!(await readEnrolments(deps.db, [s.id])).some((e) => e.course === course))
        return c.html(
          await show(token, s, { notice: 'You are not in that course: nothing was changed.' }),
          400,
        )
      const changed = await changeCourse(deps.subscribers, s.id, course, verb)
      const title = deps.content().course(course)?.title ?? course
      const said: Record<CourseAction, string> = {
        start: `${title}: started. The first lesson is on its way.`,
        pause: `${title}: paused. Resume any time, where you left off.`,
        resume: `${title}: resumed. The next lesson comes on its day.`,
        leave: `${title}: you left it. Your other email goes on.`,
        restart: `${title}: starting again from the first lesson, which is on its way.`,
      }
      return c.html(await show(token, await fresh(), { notice: changed ? said[verb] : 'Nothing to change.' }))
    }
    const result = await updatePreferences(deps.subscribers, s.id, {
      name: field('name') ?? '',
      timezone: field('timezone'),
      newsletter: field('newsletter') === '1',
    })
    if (result && !result.ok)
      return c.html(
        await show(token, result.subscriber, {
          name: (field('name') ?? '').slice(0, 1000),
          nameError: result.errors.name,
        }),
        400,
      )
    return c.html(await show(token, result?.subscriber ?? s, { notice: 'Saved.' }))
  })
}
