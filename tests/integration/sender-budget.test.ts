import { afterEach, describe, expect, it, vi } from 'vitest'
import { BATCHES_IN_FLIGHT, type SendReport } from '../../src/delivery/sender'
import type { Mailer } from '../../src/mail/mailer'
import { createOutboxMailer } from '../../src/mail/outbox-mailer'
import { shortCourse } from '../helpers/course'
import { ENGINES } from '../helpers/db'
import type { FakeClock } from '../helpers/fake-clock'
import type { Harness } from '../helpers/harness'
import { deliveryStates, seedDueReaders } from '../helpers/seed'

const T0 = new Date('2027-01-04T09:00:00Z')
const BUDGET_SECONDS = 5

/** The outbox mailer, with `beforeCall` run before each provider call (to move time or hold the call). */
function hookedMailer(
  clock: FakeClock,
  outboxDir: string,
  beforeCall: (call: number) => Promise<void> | void,
): Mailer & { calls: number } {
  const inner = createOutboxMailer(outboxDir, clock)
  const mailer = {
    transport: inner.transport,
    calls: 0,
    async send(...args: Parameters<Mailer['send']>) {
      await beforeCall(++mailer.calls)
      return inner.send(...args)
    },
    async sendBatch(...args: Parameters<Mailer['sendBatch']>) {
      await beforeCall(++mailer.calls)
      return inner.sendBatch(...args)
    },
  }
  return mailer
}

describe.each(ENGINES)('the scheduler tick (%s)', (engine) => {
  let h: Harness
  afterEach(async () => {
    await h.close()
  })

  it('stops claiming when the tick budget is spent and leaves the rest for the next tick', async () => {
    // The harness's real clock is its fake clock: the first provider call "takes" longer than the budget.
    h = await shortCourse({
      engine,
      start: T0.toISOString(),
      env: { SEND_BATCH_SIZE: '10', TICK_BUDGET_SECONDS: String(BUDGET_SECONDS) },
      mailer: (clock, outboxDir) =>
        hookedMailer(clock, outboxDir, (call) => {
          if (call === 1) clock.advance(BUDGET_SECONDS * 1000 + 1)
        }),
    })
    await seedDueReaders(h.db, { count: 60, item: 'start', dueAt: T0 })

    // The batches claimed before the budget ran out are sent (a few are in flight at once); none is
    // claimed after it.
    const first = (await h.services.scheduler.tickNow()) as SendReport
    expect(first.batches).toBeGreaterThanOrEqual(1)
    expect(first.batches).toBeLessThanOrEqual(BATCHES_IN_FLIGHT)
    expect(first.sent).toBe(10 * first.batches)
    expect(await deliveryStates(h.db, 'lesson', 'start')).toEqual({
      sent: first.sent,
      queued: 60 - first.sent,
    })
    const late = await h.db.query<{ n: number }>(
      'select count(*)::int as n from send_batches where created_at > $1',
      [new Date(T0.getTime() + BUDGET_SECONDS * 1000)],
    )
    expect(late.rows[0]!.n).toBe(0)

    // Within the budget, one tick sends batch after batch until nothing is due.
    const second = (await h.services.scheduler.tickNow()) as SendReport
    expect(second.sent).toBe(60 - first.sent)
    // Lanes claim side by side: on PostgreSQL a claim can come back short while another lane's claim
    // commits (see the next test), so there may be a batch more than the rows need.
    expect(second.batches).toBeGreaterThanOrEqual(6 - first.batches)
    expect(second.failed).toBe(0)
    expect(await deliveryStates(h.db, 'lesson', 'start')).toEqual({ sent: 60 })
    expect(await h.outbox()).toHaveLength(60)
  })

  /**
   * The outbox with each call held until `until()` says so, or for `holdMs` at most (then it goes on:
   * a run adds a lane only after a batch has gone); notes the most calls in flight at once.
   */
  function heldMailer(until: (inFlight: number) => boolean, holdMs: number) {
    const state = { inFlight: 0, most: 0 }
    const waiting: (() => void)[] = []
    const mailer = (clock: FakeClock, outboxDir: string) =>
      hookedMailer(clock, outboxDir, async () => {
        state.inFlight++
        state.most = Math.max(state.most, state.inFlight)
        if (until(state.inFlight)) for (const release of waiting.splice(0)) release()
        else
          await Promise.race([
            new Promise<void>((resolve) => waiting.push(resolve)),
            new Promise((resolve) => setTimeout(resolve, holdMs)),
          ])
        state.inFlight--
      })
    return { state, mailer }
  }

  it('keeps several batches in flight when more is due, and sends each email once', async () => {
    const held = heldMailer((n) => n >= BATCHES_IN_FLIGHT, 1_000)
    h = await shortCourse({
      engine,
      start: T0.toISOString(),
      env: { SEND_BATCH_SIZE: '10' },
      mailer: held.mailer,
      // On real time the shared rate's turns (about 1 ms apart) pass: no call waits for its turn.
      realClock: 'system',
    })
    await seedDueReaders(h.db, { count: 150, item: 'start', dueAt: T0 })
    const report = (await h.services.scheduler.tickNow()) as SendReport
    expect(held.state.most).toBe(BATCHES_IN_FLIGHT)
    expect(report.sent).toBe(150)
    // A claim can come back short on PostgreSQL when rows it sorted were just claimed by another lane
    // (they are re-checked after the sort and dropped): a batch more than the rows need, at most a few.
    expect(report.batches).toBeGreaterThanOrEqual(15)
    expect(report.failed).toBe(0)
    expect(await deliveryStates(h.db, 'lesson', 'start')).toEqual({ sent: 150 })
    const outbox = await h.outbox()
    expect(outbox).toHaveLength(150)
    expect(new Set(outbox.map((m) => m.to)).size).toBe(150)
  })

  it('keeps one batch claimed at a time when the shared rate sets the pace', async () => {
    // At each provider call: how many batches are claimed and not yet settled (one per lane).
    const open: number[] = []
    h = await shortCourse({
      engine,
      start: T0.toISOString(),
      env: { SEND_BATCH_SIZE: '10' },
      mailer: (clock, outboxDir) =>
        hookedMailer(clock, outboxDir, async () => {
          const { rows } = await h.db.query<{ n: number }>(
            'select count(*)::int as n from send_batches where completed_at is null',
          )
          open.push(rows[0]!.n)
          await new Promise((resolve) => setTimeout(resolve, 50))
        }),
      realClock: 'system',
    })
    // Five calls a second: a call takes about 50 ms, so each after the first waits for its turn.
    await h.db.query('update send_control set rate_per_second = 5')
    await seedDueReaders(h.db, { count: 60, item: 'start', dueAt: T0 })
    const report = (await h.services.scheduler.tickNow()) as SendReport
    expect(report).toMatchObject({ batches: 6, sent: 60 })
    // Every call after the first waited for its turn: no second lane claimed a batch to wait with.
    expect(open).toEqual([1, 1, 1, 1, 1, 1])
    expect(await deliveryStates(h.db, 'lesson', 'start')).toEqual({ sent: 60 })
  })

  it('joins a tick in flight instead of starting a second one, and starts a new one after it', async () => {
    let entered!: () => void
    const inFlight = new Promise<void>((resolve) => {
      entered = resolve
    })
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    let mailer!: Mailer & { calls: number }
    h = await shortCourse({
      engine,
      start: T0.toISOString(),
      env: { SEND_BATCH_SIZE: '10' },
      mailer: (clock, outboxDir) => {
        mailer = hookedMailer(clock, outboxDir, async (call) => {
          if (call !== 1) return
          entered()
          await held
        })
        return mailer
      },
    })
    const run = vi.spyOn(h.services.sender, 'run')
    try {
      await seedDueReaders(h.db, { count: 10, item: 'start', dueAt: T0, prefix: 'early' })
      const first = h.services.scheduler.tickNow()
      await inFlight // the first tick is mid-call to the provider
      const joined = h.services.scheduler.tickNow()
      expect(joined).toBe(first)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(run).toHaveBeenCalledTimes(1)
      expect(mailer.calls).toBe(1)

      release()
      expect(await joined).toMatchObject({ batches: 1, sent: 10 })
      expect(run).toHaveBeenCalledTimes(1)

      await seedDueReaders(h.db, { count: 5, item: 'start', dueAt: T0, prefix: 'late' })
      const next = h.services.scheduler.tickNow()
      expect(next).not.toBe(first)
      expect(await next).toMatchObject({ batches: 1, sent: 5 })
      expect(run).toHaveBeenCalledTimes(2)
      expect(await deliveryStates(h.db, 'lesson', 'start')).toEqual({ sent: 15 })
    } finally {
      release()
    }
  })
})
