import { enrolAndStart } from '../course/lessons'
import { addEnrolments, findEnrolment } from '../course/progress'
import type { Subscriber } from '../db/rows'
import { canonicalZone } from '../lib/timezones'
import type { SubscriberDeps } from './deps'
import { findErasedKeys } from './erased'
import { isOnTheList } from './status'
import { findSubscriberById, findSubscriberByKey, insertSubscriber } from './store'
import { checkEmail, checkName } from './validate'

/**
 * What a trusted caller (the HTTP API, with a key allowed to) may do that the public forms may not:
 * add someone who consented elsewhere without a confirmation email, recording the words they agreed
 * to; and enrol someone already on the list in a course. Forms never reach these.
 */

/** Marks consent recorded through the API (the statement itself is kept beside it). */
export const API_CONSENT_VERSION = 'api'

export type DirectResult =
  | { ok: true; subscriber: Subscriber; created: boolean; lessonIds: number[] }
  | { ok: false; status: 409 | 422; errors: Record<string, string> }

/**
 * Adds a confirmed subscriber with the consent the caller vouches for, enrolled in `course` with lesson
 * day 0 going at once. An existing address is enrolled (confirmed), confirmed (pending, since the
 * caller holds their consent), or refused when they left, bounced, complained or were erased on request:
 * only they can come back.
 */
export async function addConfirmed(
  deps: SubscriberDeps,
  input: {
    email: unknown
    name?: unknown
    timezone?: unknown
    course: string
    consentSource: string
    consentStatement: string
    newsletter?: boolean
  },
): Promise<DirectResult> {
  const email = checkEmail(input.email)
  const name = checkName(input.name)
  const errors: Record<string, string> = {}
  if (!email.ok) errors.email = email.message
  if (!name.ok) errors.name = name.message
  const zone =
    input.timezone === undefined || input.timezone === null || input.timezone === ''
      ? 'UTC'
      : canonicalZone(input.timezone)
  if (!zone) errors.timezone = 'not an IANA time zone such as Europe/Paris'
  if (!email.ok || !name.ok || !zone) return { ok: false, status: 422, errors }
  const now = deps.clock.now()
  const result = await deps.db.transaction(async (tx): Promise<DirectResult> => {
    if ((await findErasedKeys(tx, [email.key])).has(email.key))
      return {
        ok: false,
        status: 409,
        errors: { email: 'erased on request; they must subscribe again themselves' },
      }
    let created = false
    let s = await findSubscriberByKey(tx, email.key, true)
    if (!s) {
      s = await insertSubscriber(
        tx,
        {
          email: email.email,
          key: email.key,
          name: name.name,
          timezone: zone,
          status: 'confirmed',
          consentAt: now,
          consentSource: input.consentSource,
          consentIp: null,
          consentTextVersion: API_CONSENT_VERSION,
          consentStatement: input.consentStatement,
          confirmedAt: now,
          newsletterOptIn: input.newsletter ?? true,
        },
        now,
      )
      if (!s) return { ok: false, status: 409, errors: { email: 'signed up at this very moment; try again' } }
      created = true
    } else if (!isOnTheList(s)) {
      return {
        ok: false,
        status: 409,
        errors: { email: `${s.status}: only they can come back, by signing up and confirming` },
      }
    }
    const lessonIds = await enrolAndStart(
      tx,
      [{ subscriberId: s.id }],
      input.course,
      input.consentSource,
      deps.courses(),
      now,
    )
    return { ok: true, subscriber: (await findSubscriberById(tx, s.id))!, created, lessonIds }
  })
  if (result.ok) deps.sendSoon(result.lessonIds)
  return result
}

/**
 * Enrols someone in a course: a confirmed reader starts it now (the caller is trusted, as an import
 * is); a pending one waits to confirm; someone who left is refused. Returns the enrolment's state.
 */
export async function enrolInCourse(
  deps: SubscriberDeps,
  subscriberId: number,
  course: string,
  source: string,
): Promise<{ ok: true; status: string } | { ok: false; status: 404 | 409; message: string }> {
  const now = deps.clock.now()
  const result = await deps.db.transaction(async (tx) => {
    const s = await findSubscriberById(tx, subscriberId, true)
    if (!s) return { ok: false as const, status: 404 as const, message: 'no such subscriber' }
    if (!isOnTheList(s))
      return {
        ok: false as const,
        status: 409 as const,
        message: `the subscriber is ${s.status}: only they can come back`,
      }
    let lessonIds: number[] = []
    if (s.status === 'confirmed')
      lessonIds = await enrolAndStart(tx, [{ subscriberId: s.id }], course, source, deps.courses(), now)
    else await addEnrolments(tx, [{ subscriberId: s.id, course, status: 'pending', source }], now)
    const enrolment = await findEnrolment(tx, s.id, course)
    return { ok: true as const, status: enrolment?.status ?? 'pending', lessonIds }
  })
  if (result.ok) deps.sendSoon(result.lessonIds)
  return result.ok ? { ok: true, status: result.status } : result
}
