import type { Context, Hono } from 'hono'
import { readEnrolments } from '../../course/progress'
import type { Subscriber } from '../../db/rows'
import { type TokenPurpose, verifyToken } from '../../lib/links'
import { changeCourse, unsubscribe, updatePreferences } from '../../subscribers/preferences'
import { isOnTheList } from '../../subscribers/status'
import { findSubscriberById } from '../../subscribers/store'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'

const BAD_LINK = 'This link is not valid. Please use the complete link from the bottom of one of our emails.'

/** The subscriber a token names, if the token is genuine and they still exist. */
export async function subscriberFromToken(
  deps: WebDeps,
  purpose: TokenPurpose,
  token: string | undefined,
): Promise<Subscriber | undefined> {
  const check = verifyToken(deps.config.secret, purpose, token, deps.clock.now())
  if (!check.ok) return undefined
  return findSubscriberById(deps.db, check.subscriberId)
}

async function formFields(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody()
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => [key, typeof value === 'string' ? value : '']),
  )
}

/**
 * GET /unsubscribe shows the choices and changes nothing. A link names what it leaves (`list`): the
 * course of the lesson it came in, or the newsletter; without one (confirmation emails, emails sent
 * before courses had names) it is everything. POST with `List-Unsubscribe=One-Click` (RFC 8058, sent by
 * mail clients) leaves exactly that at once; POST from the page carries the chosen action, and "stop
 * all email from us" is always one of them.
 */
export function unsubscribeRoutes(app: Hono, deps: WebDeps): void {
  const site = deps.config.mail.courseName
  const purposeOf = (list: string | undefined): TokenPurpose => (list ? `leave:${list}` : 'unsubscribe')
  const titleOf = (course: string) => deps.content().course(course)?.title ?? course

  app.get('/unsubscribe', async (c) => {
    const token = c.req.query('token')
    const list = c.req.query('list') || undefined
    if (token === undefined) {
      return c.html(
        messagePage(
          site,
          'Unsubscribe',
          'To unsubscribe, use the "Unsubscribe" link at the bottom of any email from us: it knows who you are, so you do not need to log in.',
        ),
      )
    }
    const s = await subscriberFromToken(deps, purposeOf(list), token)
    if (!s) return c.html(messagePage(site, 'Link not valid', BAD_LINK), 400)
    if (!isOnTheList(s))
      return c.html(messagePage(site, 'You are unsubscribed', 'This address gets no more emails from us.'))
    const active = (await readEnrolments(deps.db, [s.id])).filter((e) => e.status === 'active')
    const hidden = html`<input type="hidden" name="token" value="${token}">${list ? html`<input type="hidden" name="list" value="${list}">` : ''}`
    const everything = html`<button class="secondary" type="submit" name="action" value="unsubscribe">Stop all email from us</button>`
    const choices =
      list === 'newsletter'
        ? html`<h1>Stop the newsletter?</h1>
<p>Your courses go on; only newsletter issues stop.</p>
<button type="submit" name="action" value="newsletter-off">Stop the newsletter</button>
${everything}`
        : list
          ? html`<h1>Leave ${titleOf(list)}?</h1>
<p>No more lessons of this course. Any other course and the newsletter go on.</p>
<button type="submit" name="action" value="leave">Leave ${titleOf(list)}</button>
${active.some((e) => e.course === list) ? html`<button class="secondary" type="submit" name="action" value="pause">Just pause it</button>` : ''}
${everything}`
          : html`<h1>Unsubscribe?</h1>
<p>Press the button to stop all emails from us.</p>
<button type="submit" name="action" value="unsubscribe">Unsubscribe from everything</button>
<p class="muted">Or, if you only want fewer emails:</p>
${active.map((e) => html`<button class="secondary" type="submit" name="action" value="pause:${e.course}">Just pause ${titleOf(e.course)}</button>`)}
${s.newsletter_opt_in ? html`<button class="secondary" type="submit" name="action" value="newsletter-off">Stop only the newsletter</button>` : ''}`
    return c.html(
      page({
        title: 'Unsubscribe',
        siteName: site,
        body: html`<form method="post" action="/unsubscribe" class="card">${hidden}${choices}</form>`,
      }),
    )
  })

  app.post('/unsubscribe', async (c) => {
    const fields = await formFields(c)
    const token = c.req.query('token') ?? fields.token
    const list = c.req.query('list') || fields.list || undefined
    const oneClick = fields['List-Unsubscribe'] === 'One-Click'
    const s = await subscriberFromToken(deps, purposeOf(list), token)
    if (!s)
      return oneClick
        ? c.text('Invalid link', 400)
        : c.html(messagePage(site, 'Link not valid', BAD_LINK), 400)
    // One click leaves what the link names: the course, the newsletter, or (no list) everything.
    const action = oneClick
      ? list === 'newsletter'
        ? 'newsletter-off'
        : list
          ? 'leave'
          : 'unsubscribe'
      : (fields.action ?? 'unsubscribe')
    const done = (title: string, text: string) =>
      oneClick ? c.text(title, 200) : c.html(messagePage(site, title, text))
    if (action === 'newsletter-off') {
      await updatePreferences(deps.subscribers, s.id, { newsletter: false })
      return done('Newsletter off', 'You will get no more newsletter issues. Your courses continue.')
    }
    const [verb, named] = action.split(':') as [string, string | undefined]
    const course = named ?? list
    if ((verb === 'leave' || verb === 'pause') && course && course !== 'newsletter') {
      await changeCourse(deps.subscribers, s.id, course, verb)
      return verb === 'leave'
        ? done(
            'Left the course',
            `No more lessons of ${titleOf(course)}. Anything else you get from us goes on.`,
          )
        : done(
            'Course paused',
            `No more lessons of ${titleOf(course)} until you resume. Use "Email preferences" at the bottom of any email to resume where you left off.`,
          )
    }
    if (action !== 'unsubscribe')
      return c.html(
        messagePage(
          site,
          'Nothing changed',
          'That choice is not one this page offers. Please use the link from your email again.',
        ),
        400,
      )
    await unsubscribe(deps.subscribers, s.id, oneClick ? 'one-click' : 'page')
    return done(
      oneClick ? 'Unsubscribed' : 'You are unsubscribed',
      'You will get no more emails from us. Sorry to see you go, and good luck with your decision.',
    )
  })
}
