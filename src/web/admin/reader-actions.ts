import type { Context, Hono } from 'hono'
import { listAudit } from '../../audit/log'
import { eraseSubscriber, readSubscriberRecord } from '../../privacy/privacy'
import { resendConfirmation } from '../../subscribers/confirm'
import { type CourseAction, changeCourse, unsubscribe } from '../../subscribers/preferences'
import { findSubscriberById } from '../../subscribers/store'
import { checkEmail } from '../../subscribers/validate'
import { html } from '../html'
import { type Admin, adminPage, formFields, idParam, noticeFor, redirectDone } from './layout'
import { readerBody } from './reader'

const NOTICES: Record<string, string> = {
  confirmation:
    'A fresh confirmation email is on its way (spaced like every confirmation: it may wait a little if one went recently).',
  'course-changed': 'Their course was changed.',
  'course-unchanged': 'Nothing changed: that move does not apply to the course as it is now.',
  unsubscribed: 'Unsubscribed: no more email goes to them.',
  'erase-mismatch': 'Nothing was erased: the address typed did not match theirs.',
}

const ACTIONS: readonly CourseAction[] = ['start', 'pause', 'resume', 'leave', 'restart']

/** Erased readers are gone: the answer after an erasure, and for their old links. */
function gonePage(admin: Admin, title: string, message: string): string {
  return adminPage({
    site: admin.site,
    title,
    section: 'readers',
    body: html`<h1>${title}</h1><p>${message}</p><p><a href="/admin/readers">Back to the readers</a></p>`,
  })
}

/**
 * A reader's page and what the admin may do there, each through the same domain function as the
 * reader's own links or the CLI, and each recorded in the audit log: resend the confirmation, change a
 * course (start, pause, resume, leave, restart), unsubscribe, export their data, erase them.
 */
export function readerRoutes(app: Hono, admin: Admin): void {
  const { deps } = admin
  const reader = async (c: Context) => {
    const id = idParam(c.req.param('id'))
    return id === undefined ? undefined : findSubscriberById(deps.db, id)
  }
  const missing = (c: Context) =>
    c.html(gonePage(admin, 'No such reader', 'There is no reader with that number (erased, perhaps).'), 404)

  app.get('/admin/readers/:id', async (c) => {
    const s = await reader(c)
    if (!s) return missing(c)
    const lookup = await readSubscriberRecord(deps.db, s.email_key)
    if (!lookup.found) return missing(c)
    const audit = await listAudit(deps.db, { subscriberId: s.id, limit: 50 })
    return c.html(
      adminPage({
        site: admin.site,
        title: s.email,
        section: 'readers',
        notice: noticeFor(c, NOTICES),
        body: readerBody(lookup.record, deps.content(), audit),
      }),
    )
  })

  app.get('/admin/readers/:id/export.json', async (c) => {
    const s = await reader(c)
    if (!s) return missing(c)
    const lookup = await readSubscriberRecord(deps.db, s.email_key)
    if (!lookup.found) return missing(c)
    await admin.audit({ action: 'subscriber.export', subscriberId: s.id })
    return c.body(JSON.stringify(lookup.record, null, 2), 200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="reader-${s.id}.json"`,
    })
  })

  app.post('/admin/readers/:id/resend-confirmation', async (c) => {
    const s = await reader(c)
    if (!s) return missing(c)
    await resendConfirmation(deps.subscribers, s.id)
    await admin.audit({ action: 'subscriber.resend_confirmation', subscriberId: s.id })
    return redirectDone(c, `/admin/readers/${s.id}`, 'confirmation')
  })

  app.post('/admin/readers/:id/course', async (c) => {
    const s = await reader(c)
    if (!s) return missing(c)
    const field = await formFields(c)
    const course = field('course')
    const action = field('action') as CourseAction
    if (!ACTIONS.includes(action) || !course) return c.text('Unknown course or action.', 400)
    const changed = await changeCourse(deps.subscribers, s.id, course, action)
    await admin.audit({
      action: 'subscriber.course',
      subscriberId: s.id,
      target: course,
      detail: { action, changed },
    })
    return redirectDone(c, `/admin/readers/${s.id}`, changed ? 'course-changed' : 'course-unchanged')
  })

  app.post('/admin/readers/:id/unsubscribe', async (c) => {
    const s = await reader(c)
    if (!s) return missing(c)
    await unsubscribe(deps.subscribers, s.id, 'admin')
    await admin.audit({ action: 'subscriber.unsubscribe', subscriberId: s.id })
    return redirectDone(c, `/admin/readers/${s.id}`, 'unsubscribed')
  })

  app.post('/admin/readers/:id/erase', async (c) => {
    const s = await reader(c)
    if (!s) return missing(c)
    const field = await formFields(c)
    // The typed address must be theirs, compared as addresses are keyed (the local part's case aside).
    const typed = checkEmail(field('confirm'))
    if (!typed.ok || typed.key !== s.email_key)
      return redirectDone(c, `/admin/readers/${s.id}`, 'erase-mismatch')
    const erased = await eraseSubscriber(deps.db, s.email_key, admin.now())
    if (!erased) return missing(c)
    await admin.audit({
      action: 'subscriber.erase',
      subscriberId: s.id,
      detail: {
        enrolments: erased.enrolments,
        deliveries: erased.deliveries,
        emailEvents: erased.emailEvents,
      },
    })
    return c.html(
      gonePage(
        admin,
        'Reader erased',
        `Reader #${s.id} is erased: ${erased.deliveries} email(s) and ${erased.emailEvents} event(s) went with them. Copies outside the database (exports, the outbox folder, logs) are not touched.`,
      ),
    )
  })
}
