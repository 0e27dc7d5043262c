import { signupsClosed } from '../course/plan'
import { addEnrolments, findEnrolment } from '../course/progress'
import { DatabaseUnavailableError, type Queryable } from '../db/db'
import { localDate } from '../lib/local-time'
import { maskEmail } from '../lib/logger'
import { canonicalZone } from '../lib/timezones'
import { askFor, queueFirstAsks } from './asks'
import { CONSENT_VERSION } from './consent'
import type { SubscriberDeps } from './deps'
import { findSubscriberByKey, insertSubscribers, type NewSubscriber, updateSubscriber } from './store'
import { checkEmail, checkName, cleanTimezone } from './validate'

export interface SignupInput {
  email?: unknown
  name?: unknown
  timezone?: unknown
  newsletter?: unknown
  /** The course's slug; may be left out where the installation has one course. */
  course?: unknown
  /** Honeypot: people never see this field; bots fill it. */
  website?: unknown
}

export interface SignupContext {
  /** Which form or API took the signup, recorded as part of the consent. */
  source: string
  ip: string | null
}

/** Each field's problem, in words for the person who typed it. */
export interface SignupErrors {
  email?: string
  name?: string
  course?: string
}

export type SignupResult = { ok: true; stored: boolean } | { ok: false; errors: SignupErrors }

function wantsNewsletter(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true
  return !['0', 'false', 'off', 'no', false].includes(value as string)
}

/**
 * The course a signup asks for: the one named, or the only one there is. An installation with several
 * courses needs the name; the message lists them.
 */
export function chooseCourse(
  input: unknown,
  slugs: readonly string[],
): { ok: true; course: string } | { ok: false; message: string } {
  const named = typeof input === 'string' ? input.trim() : ''
  if (named === '' && slugs.length === 1) return { ok: true, course: slugs[0]! }
  if (slugs.includes(named)) return { ok: true, course: named }
  const list = slugs.join(', ')
  return {
    ok: false,
    message:
      named === ''
        ? `Choose a course: ${list}.`
        : `There is no course "${named.slice(0, 60)}". Choose one of: ${list}.`,
  }
}

/**
 * A signup from the form or the JSON API, for one course. The answer is the same whether the address
 * is new, pending or confirmed (no enumeration). A new or unconfirmed address gets a confirmation of
 * the address and the course together; someone who left gets one and comes back only by confirming it;
 * someone already confirmed gets a short "Start <course>?" email with a button, so that nobody can
 * enrol a stranger. Every ask to one address is spaced out (see asks.ts).
 */
export async function subscribe(
  deps: SubscriberDeps,
  input: SignupInput,
  context: SignupContext,
): Promise<SignupResult> {
  const checked = checkEmail(input.email)
  const checkedName = checkName(input.name)
  const chosen = chooseCourse(input.course, deps.courseSlugs())
  if (!checked.ok || !checkedName.ok || !chosen.ok)
    return {
      ok: false,
      errors: {
        ...(checked.ok ? {} : { email: checked.message }),
        ...(checkedName.ok ? {} : { name: checkedName.message }),
        ...(chosen.ok ? {} : { course: chosen.message }),
      },
    }
  if (typeof input.website === 'string' && input.website.trim() !== '') {
    deps.logger.info({ source: context.source }, 'signup dropped: honeypot filled')
    return { ok: true, stored: false }
  }
  const { course } = chosen
  const now = deps.clock.now()
  const name = checkedName.name
  const timezone = cleanTimezone(input.timezone)
  const pacing = deps.courses()(course)?.pacing
  // Only a cohort with a closing date ever refuses; the local date (a time-zone lookup) only then.
  if (pacing?.closes !== undefined && signupsClosed(pacing, localDate(now, timezone)))
    return { ok: false, errors: { course: `Signups for this course closed on ${pacing.closes}.` } }
  const enrol = { course, status: 'pending' as const, source: context.source }
  // A new address: the person, their enrolment and the confirmation, together or not at all.
  const created = await storeNewSubscriber(deps, {
    subscriber: {
      email: checked.email,
      key: checked.key,
      name,
      timezone,
      status: 'pending',
      consentAt: now,
      consentSource: context.source,
      consentIp: context.ip,
      consentTextVersion: CONSENT_VERSION,
      confirmedAt: null,
      newsletterOptIn: wantsNewsletter(input.newsletter),
      confirmationSentAt: now,
    },
    course,
    source: context.source,
    now,
  })
  if (created) {
    deps.logger.info(
      { subscriberId: created.subscriberId, course, email: maskEmail(checked.email) },
      'signup: new subscriber',
    )
    return { ok: true, stored: true }
  }
  // The address is known: decide from its state, in a transaction that locks its row.
  const ask = await deps.db.transaction(async (tx) => {
    const existing = await findSubscriberByKey(tx, checked.key, true)
    // Gone since the insert found it (erased at that very moment): nothing to ask.
    if (!existing) return null
    const enrolment = await findEnrolment(tx, existing.id, course)
    if (existing.status === 'confirmed') {
      // Reading it already: nothing to do. Otherwise they start it themselves, from an invitation.
      if (enrolment && (enrolment.status === 'active' || enrolment.status === 'paused')) return null
      const invited = await askFor(tx, existing, 'invitation', course, now)
      if (!invited) return null
      if (!enrolment) await addEnrolments(tx, [{ subscriberId: existing.id, ...enrol }], now)
      deps.logger.info({ subscriberId: existing.id, course }, 'signup: invited to start a course')
      return invited
    }
    const asked = await askFor(tx, existing, 'confirmation', course, now)
    // One for this course still waits to go: that one will do, and what was typed is not taken.
    if (!asked) return null
    // Not yet confirmed, or left earlier: refresh what they typed and the consent record.
    await updateSubscriber(
      tx,
      existing.id,
      {
        ...(name ? { name } : {}),
        // A signup without JavaScript carries no zone: keep the one we had rather than reset it to UTC.
        ...(canonicalZone(input.timezone) ? { timezone } : {}),
        ...(existing.status === 'pending' ? {} : { newsletter_opt_in: wantsNewsletter(input.newsletter) }),
        consent_at: now,
        consent_source: context.source,
        consent_ip: context.ip,
        consent_text_version: CONSENT_VERSION,
      },
      now,
    )
    if (!enrolment) await addEnrolments(tx, [{ subscriberId: existing.id, ...enrol }], now)
    deps.logger.info(
      { subscriberId: existing.id, status: existing.status, course, at: asked.dueAt },
      'signup: confirmation asked again',
    )
    return asked
  })
  if (ask && ask.dueAt <= now) deps.sendSoon([ask.id])
  return { ok: true, stored: true }
}

/** A new address's signup, waiting to be stored with the others that arrived meanwhile. */
interface NewSignup {
  subscriber: NewSubscriber
  course: string
  source: string
  /** When the request came in: the person's own signup and consent time. */
  now: Date
}

type Stored = { subscriberId: number; askId: number } | null

interface Waiting {
  signup: NewSignup
  done: (stored: Stored) => void
  fail: (error: unknown) => void
}

/** The group of new signups being stored, and those waiting for the next one, for one set of deps. */
interface SignupGroups {
  waiting: Waiting[]
  running: boolean
}

// Keyed by the deps (one per running app, and one per test harness), so that nothing is shared
// between two apps in one process.
const groupsByDeps = new WeakMap<SubscriberDeps, SignupGroups>()

/**
 * Stores a new address (the person, their enrolment and the confirmation, together or not at all);
 * null when the address exists already. New signups that arrive while a group is being written go
 * together in the next one: one transaction and one statement each for the enrolments and the
 * confirmations serve a burst of signups, instead of a transaction each (the embedded engine runs
 * one statement at a time, so each one saved is time for every waiting request).
 */
function storeNewSubscriber(deps: SubscriberDeps, signup: NewSignup): Promise<Stored> {
  let groups = groupsByDeps.get(deps)
  if (!groups) {
    groups = { waiting: [], running: false }
    groupsByDeps.set(deps, groups)
  }
  const state = groups
  return new Promise<Stored>((done, fail) => {
    state.waiting.push({ signup, done, fail })
    if (!state.running) {
      state.running = true
      // The group starts after the event loop's current turn, not at once: the embedded engine answers
      // in the same turn (no I/O to wait for), so a signup started now would be stored and answered
      // before the next request is even read, and every group would hold one signup. By the time the
      // turn ends, every request read in it has reached this point and joins the group (measured on
      // the embedded default with 10 connections: groups of 5 to 10 instead of 1, 2.8× the signups/s).
      setImmediate(() => void storeWaiting(deps, state))
    }
  })
}

async function storeWaiting(deps: SubscriberDeps, state: SignupGroups): Promise<void> {
  while (state.waiting.length > 0) {
    const group = state.waiting.splice(0)
    try {
      await storeGroup(deps, group)
    } catch (error) {
      // A bug after the commit: each request still gets an answer (a promise settles only once).
      for (const waiting of group) waiting.fail(error)
    }
  }
  // In the same step as the last check of `waiting`: a signup added after it starts a new run.
  state.running = false
}

/**
 * One group in one transaction. If it fails for a reason other than a lost database, each signup is
 * tried again alone, so that one bad row fails only its own request.
 */
async function storeGroup(deps: SubscriberDeps, group: Waiting[]): Promise<void> {
  let stored: Stored[]
  try {
    stored = await deps.db.transaction((tx) =>
      insertGroup(
        tx,
        group.map((w) => w.signup),
      ),
    )
  } catch (error) {
    if (group.length === 1 || error instanceof DatabaseUnavailableError) {
      for (const waiting of group) waiting.fail(error)
      return
    }
    for (const waiting of group) await storeGroup(deps, [waiting])
    return
  }
  const asks = stored.flatMap((one) => (one ? [one.askId] : []))
  if (asks.length > 0) deps.sendSoon(asks)
  for (const [index, waiting] of group.entries()) waiting.done(stored[index] ?? null)
}

/**
 * Inserts each new person (an address that exists already, or twice in the group, is left to the
 * caller's path for known addresses), then the enrolments and the first asks of all of them.
 */
async function insertGroup(tx: Queryable, signups: NewSignup[]): Promise<Stored[]> {
  const ids = (await insertSubscribers(tx, signups)).map((row) => row?.id ?? null)
  const created = signups.flatMap((signup, index) => {
    const subscriberId = ids[index]
    return subscriberId ? [{ ...signup, subscriberId }] : []
  })
  const now = created.reduce((latest, c) => (c.now > latest ? c.now : latest), new Date(0))
  await addEnrolments(
    tx,
    created.map((c) => ({
      subscriberId: c.subscriberId,
      course: c.course,
      status: 'pending',
      source: c.source,
    })),
    now,
  )
  const asks = await queueFirstAsks(tx, created, now)
  return ids.map((subscriberId) => {
    const askId = subscriberId ? asks.get(subscriberId) : undefined
    return subscriberId && askId ? { subscriberId, askId } : null
  })
}
