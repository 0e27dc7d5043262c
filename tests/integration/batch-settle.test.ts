import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Queryable } from '../../src/db/db'
import type { DeliveryPolicy, Outcome, Policies } from '../../src/delivery/policy'
import { settleBatch } from '../../src/delivery/settle'
import { claimNewBatch, loadMembers, type Member } from '../../src/delivery/store/batches'
import { createTestDb, ENGINES, type TestDb } from '../helpers/db'
import { seedDueReaders } from '../helpers/seed'

const NOW = new Date('2027-01-04T09:00:00Z')

/** Each kind's policy, recording what it was told and writing a marker row in the same transaction. */
function recordingPolicies(told: Outcome[][], fail = false): Policies {
  const policy: DeliveryPolicy = {
    decide: async (_tx, members) => members.map(() => ({ action: 'send' })),
    async settled(tx: Queryable, outcomes) {
      told.push([...outcomes])
      await tx.query(`insert into meta (key, value) values ('settled', 'yes')`)
      if (fail) throw new Error('policy failed')
    },
  }
  return { confirmation: policy, invitation: policy, lesson: policy, newsletter: policy }
}

/** The one place a claimed batch ends (src/delivery/settle.ts). */
describe.each(ENGINES)('settling a claimed batch (%s)', (engine) => {
  let db: TestDb
  beforeEach(async () => {
    db = await createTestDb(engine)
  })
  afterEach(async () => {
    await db.close()
  })

  async function claimed() {
    await seedDueReaders(db, { count: 3, item: 'start', dueAt: NOW })
    const batch = await claimNewBatch(db, {
      workerId: 'w',
      now: NOW,
      leaseMs: 60_000,
      limit: 10,
      filter: null,
    })
    return { batch: batch!, members: await loadMembers(db, batch!.id) }
  }
  const state = async () => ({
    deliveries: (
      await db.query<{ status: string; provider_id: string | null; last_error: string | null }>(
        'select status, provider_id, last_error from deliveries order by id',
      )
    ).rows,
    batch: (
      await db.query<{
        completed_at: Date | null
        attempts: number
        lease_until: Date
        last_error: string | null
      }>('select completed_at, attempts, lease_until, last_error from send_batches')
    ).rows[0],
  })

  it('done: records each outcome, completes the batch and tells the policy, in one transaction', async () => {
    const { batch, members } = await claimed()
    const told: Outcome[][] = []
    const outcomes: Outcome[] = [
      { member: members[0] as Member, sent: true, providerId: 'p1' },
      { member: members[1] as Member, sent: true, providerId: null },
      { member: members[2] as Member, sent: false, error: 'validation_error: bad address' },
    ]
    await settleBatch(db, batch, { end: 'done', outcomes }, recordingPolicies(told), NOW)
    expect(await state()).toMatchObject({
      deliveries: [
        { status: 'sent', provider_id: 'p1', last_error: null },
        { status: 'sent', provider_id: null },
        { status: 'failed', last_error: 'validation_error: bad address' },
      ],
      batch: { completed_at: NOW },
    })
    expect(told).toEqual([outcomes])
  })

  it('done: if what follows fails, nothing of it is recorded and the batch stays open', async () => {
    const { batch, members } = await claimed()
    const outcomes: Outcome[] = members.map((member) => ({ member, sent: true, providerId: null }))
    await expect(
      settleBatch(db, batch, { end: 'done', outcomes }, recordingPolicies([], true), NOW),
    ).rejects.toThrow('policy failed')
    const after = await state()
    expect(after.deliveries.map((d) => d.status)).toEqual(['claimed', 'claimed', 'claimed'])
    expect(after.batch?.completed_at).toBeNull()
    expect((await db.query(`select 1 from meta where key = 'settled'`)).rows).toEqual([])
  })

  it('later: hands the batch back for the given time, counting the attempt only when asked', async () => {
    const { batch } = await claimed()
    const retryAt = new Date(NOW.getTime() + 30_000)
    await settleBatch(
      db,
      batch,
      { end: 'later', at: retryAt, error: '502: bad gateway', countAttempt: true },
      recordingPolicies([]),
      NOW,
    )
    expect((await state()).batch).toEqual({
      completed_at: null,
      attempts: 1,
      lease_until: retryAt,
      last_error: '502: bad gateway',
    })
    await settleBatch(
      db,
      batch,
      { end: 'later', at: NOW, error: 'worker stopped', countAttempt: false },
      recordingPolicies([]),
      NOW,
    )
    expect((await state()).batch).toMatchObject({
      attempts: 1,
      lease_until: NOW,
      last_error: 'worker stopped',
    })
    expect((await state()).deliveries.map((d) => d.status)).toEqual(['claimed', 'claimed', 'claimed'])
  })
})
