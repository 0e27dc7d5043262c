import type { Harness } from './harness'

/** POSTs a form to the app (no port), like a browser without JavaScript. */
export function postForm(
  h: Harness,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return h.services.web.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  })
}

export function postJson(h: Harness, path: string, body: unknown, headers: Record<string, string> = {}) {
  return h.services.web.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** The shipped main course: tests on the real lessons/ sign up for it (the folder holds two courses). */
export const MAIN_COURSE = 'avoiding-smp-regrets'

/**
 * Subscribes and confirms through the app; returns the subscriber id and the confirmation token.
 * Without a `course` field it signs up for the first course of the content (as listed).
 */
export async function subscribeAndConfirm(h: Harness, email: string, fields: Record<string, string> = {}) {
  const course = fields.course ?? h.content.current.courses[0]!.slug
  await postForm(h, '/subscribe', { email, course, ...fields })
  await h.services.sender.whenIdle()
  const confirmation = (await h.outbox())
    .filter((m) => m.to.toLowerCase() === email.toLowerCase() && m.subject.includes('Confirm'))
    .at(-1)
  if (!confirmation) throw new Error(`no confirmation email for ${email}`)
  // The button on the link's page posts what the link carries: the token and the course.
  const link = new URL(confirmation.link('/confirm')!)
  const token = link.searchParams.get('token')!
  const response = await postForm(h, '/confirm', Object.fromEntries(link.searchParams))
  if (response.status !== 200) throw new Error(`confirm answered ${response.status}`)
  await h.services.sender.whenIdle()
  const { rows } = await h.db.query<{ id: number }>('select id from subscribers where email_key = $1', [
    email.toLowerCase(),
  ])
  return { id: rows[0]!.id, token, course: link.searchParams.get('course') }
}

export async function subscriberRow(h: Harness, email: string) {
  const { rows } = await h.db.query<Record<string, unknown>>(
    'select * from subscribers where email_key = $1',
    [email.toLowerCase()],
  )
  return rows[0]
}

/** The fields the confirmation link in an email's HTML carries (its token and course), as the page posts them. */
export function confirmFieldsIn(emailHtml: string): Record<string, string> {
  const href = /href="([^"]*\/confirm\?[^"]+)"/.exec(emailHtml)?.[1]
  if (!href) throw new Error('no confirmation link in the email')
  return Object.fromEntries(new URL(href.replaceAll('&amp;', '&')).searchParams)
}
