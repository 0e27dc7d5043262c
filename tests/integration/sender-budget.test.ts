import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SendReport } from '../../src/delivery/sender'
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
    await seedDueReaders(h.db, { count: 30, item: 'start', dueAt: T0 })

    const first = (await h.services.scheduler.tickNow()) as SendReport
    expect(first).toMatchObject({ batches: 1, sent: 10 })
    expect(await deliveryStates(h.db, 'lesson', 'start')).toEqual({ sent: 10, queued: 20 })

    // Within the budget, one tick sends batch after batch until nothing is due.
    const second = (await h.services.scheduler.tickNow()) as SendReport
    expect(second).toMatchObject({ batches: 2, sent: 20 })
    expect(await deliveryStates(h.db, 'lesson', 'start')).toEqual({ sent: 30 })
    expect(await h.outbox()).toHaveLength(30)
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
