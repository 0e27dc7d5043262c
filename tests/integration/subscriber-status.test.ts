import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { queueEmails } from '../../src/delivery/store/queue'
import {
  askedSinceLeaving,
  confirm,
  countSoftBounce,
  leave,
  resetSoftBounces,
  SOFT_BOUNCE_LIMIT,
  stopAfterSignal,
} from '../../src/subscribers/status'
import { findSubscriberById, insertSubscriber, updateSubscriber } from '../../src/subscribers/store'
import { createTestDb, ENGINES, type TestDb } from '../helpers/db'

const T0 = new Date('2027-01-04T09:00:00Z')
const later = (minutes: number) => new Date(T0.getTime() + minutes * 60_000)

/** The subscriber status machine (src/subscribers/status.ts): what each move does, and which wins. */
describe.each(ENGINES)('the subscriber status machine (%s)', (engine) => {
  let db: TestDb
  beforeEach(async () => {
    db = await createTestDb(engine)
  })
  afterEach(async () => {
    await db.close()
  })

  /** A confirmed reader with a lesson, an issue and a confirmation waiting. */
  async function reader(email = 'r@example.org') {
    const s = await insertSubscriber(
      db,
      {
        email,
        key: email,
        name: null,
        timezone: 'UTC',
        status: 'confirmed',
        consentAt: T0,
        consentSource: 'test',
        consentIp: null,
        consentTextVersion: null,
        confirmedAt: T0,
      },
      T0,
    )
    await queueEmails(
      db,
      [
        { subscriberId: s!.id, kind: 'lesson', course: 'c', item: 'second', dueAt: later(60) },
        { subscriberId: s!.id, kind: 'newsletter', course: null, item: 'issue', dueAt: later(60) },
        { subscriberId: s!.id, kind: 'confirmation', course: 'c', item: null, dueAt: later(60) },
      ],
      T0,
    )
    return s!
  }
  const waiting = async (id: number) =>
    (
      await db.query<{ n: number }>(
        `select count(*)::int as n from deliveries where subscriber_id = $1 and status = 'queued'`,
        [id],
      )
    ).rows[0]!.n
  const statusOf = async (id: number) => (await findSubscriberById(db, id))!.status

  it('leaving stops all mail at once and records when', async () => {
    const s = await reader()
    expect(await waiting(s.id)).toBe(3)
    const left = await leave(db, s.id, later(5))
    expect(left).toMatchObject({ status: 'unsubscribed', unsubscribed_at: later(5) })
    expect(await waiting(s.id)).toBe(0)
  })

  it('a complaint outranks a bounce, which outranks leaving; a weaker signal never replaces a stronger', async () => {
    const s = await reader()
    const at = (minutes: number) => ({ at: later(minutes), emailSentAt: later(minutes - 1) })
    expect(await stopAfterSignal(db, s.id, 'bounced', at(10), later(10))).toBe(true)
    expect(await statusOf(s.id)).toBe('bounced')
    expect(await waiting(s.id)).toBe(0)
    expect(await leave(db, s.id, later(11))).toMatchObject({ status: 'bounced' })
    expect(await stopAfterSignal(db, s.id, 'complained', at(12), later(12))).toBe(true)
    expect(await statusOf(s.id)).toBe('complained')
    expect(await stopAfterSignal(db, s.id, 'bounced', at(13), later(13))).toBe(false)
    expect(await statusOf(s.id)).toBe('complained')
  })

  it('ignores a signal about an email sent before the reader confirmed again', async () => {
    const s = await reader()
    await updateSubscriber(db, s.id, { confirmed_at: later(30) }, later(30))
    expect(
      await stopAfterSignal(db, s.id, 'complained', { at: later(40), emailSentAt: later(20) }, later(40)),
    ).toBe(false)
    expect(await statusOf(s.id)).toBe('confirmed')
  })

  it(`counts soft bounces in a row: the ${SOFT_BOUNCE_LIMIT}rd makes it a bounce; a delivery resets the run`, async () => {
    const s = await reader()
    const time = { at: later(1), emailSentAt: later(1) }
    expect(await countSoftBounce(db, s.id, time, later(1))).toBe(1)
    await resetSoftBounces(db, s.id, later(2))
    expect(await countSoftBounce(db, s.id, time, later(3))).toBe(1)
    expect(await countSoftBounce(db, s.id, time, later(4))).toBe(2)
    expect(await countSoftBounce(db, s.id, time, later(5))).toBe(3)
    expect(await statusOf(s.id)).toBe('bounced')
    expect(await countSoftBounce(db, s.id, time, later(6))).toBeNull()
  })

  it('lets someone who left come back only through a confirmation asked for after leaving', async () => {
    const s = await reader()
    await updateSubscriber(db, s.id, { confirmation_sent_at: T0 }, T0)
    const left = (await leave(db, s.id, later(5)))!
    expect(askedSinceLeaving(left)).toBe(false)
    const asked = await updateSubscriber(db, s.id, { confirmation_sent_at: later(10) }, later(10))
    expect(askedSinceLeaving(asked)).toBe(true)
    const back = await confirm(db, asked, later(11))
    expect(back).toMatchObject({
      status: 'confirmed',
      confirmed_at: later(11),
      unsubscribed_at: null,
      soft_bounces: 0,
    })
  })
})
