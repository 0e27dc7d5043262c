import { afterEach, describe, expect, it } from 'vitest'
import type { SendReport } from '../../src/delivery/sender'
import type { Mailer } from '../../src/mail/mailer'
import { createOutboxMailer } from '../../src/mail/outbox-mailer'
import { shortCourse } from '../helpers/course'
import { ENGINES } from '../helpers/db'
import type { FakeClock } from '../helpers/fake-clock'
import type { Harness } from '../helpers/harness'
import { deliveryStates, seedDueReaders } from '../helpers/seed'

const T0 = new Date('2027-01-04T09:00:00Z')
const RATE = 5

/**
 * The outbox as a provider far away: before a call "arrives" the harness's clock (the sender's real
 * clock) moves on by that call's travel time, and its answer comes back 10 ms after it arrived.
 * Notes each arrival, as the provider's one-second window would count it.
 */
function distantMailer(travelMs: (call: number) => number) {
  const arrivals: number[] = []
  const mailer = (clock: FakeClock, outboxDir: string): Mailer => {
    const inner = createOutboxMailer(outboxDir, clock)
    const travel = (call: number) => {
      clock.advance(travelMs(call))
      arrivals.push(clock.now().getTime())
    }
    return {
      transport: inner.transport,
      async send(...args) {
        travel(arrivals.length + 1)
        const result = await inner.send(...args)
        clock.advance(10)
        return result
      },
      async sendBatch(...args) {
        travel(arrivals.length + 1)
        const result = await inner.sendBatch(...args)
        clock.advance(10)
        return result
      },
    }
  }
  return { arrivals, mailer }
}

/** The most calls that arrived within any one second (a call leaves the window 1,000 ms after it came). */
function mostInOneSecond(arrivals: number[]): number {
  let most = 0
  for (let i = 0; i < arrivals.length; i++) {
    let n = 0
    for (const at of arrivals) if (at >= arrivals[i]! && at < arrivals[i]! + 1000) n++
    most = Math.max(most, n)
  }
  return most
}

describe.each(ENGINES)("the provider's one-second window (%s)", (engine) => {
  let h: Harness
  afterEach(async () => {
    await h.close()
  })

  it('never puts one call too many into a second, when a call travels slower than the ones after it', async () => {
    // Every sixth call is 150 ms on the way, the others none: spaced by their starts alone (95% of the
    // rate, 210.5 ms apart), the call five after a slow one would arrive 902 ms after it, the sixth in
    // one second.
    const distant = distantMailer((call) => (call % 6 === 1 ? 150 : 0))
    h = await shortCourse({
      engine,
      start: T0.toISOString(),
      env: { SEND_BATCH_SIZE: '10' },
      mailer: distant.mailer,
    })
    await h.db.query('update send_control set rate_per_second = $1', [RATE])
    await seedDueReaders(h.db, { count: 200, item: 'start', dueAt: T0 })
    const started = h.clock.now().getTime()

    const report = (await h.services.scheduler.tickNow()) as SendReport
    expect(report).toMatchObject({ batches: 20, sent: 200, failed: 0 })
    expect(await deliveryStates(h.db, 'lesson', 'start')).toEqual({ sent: 200 })
    expect(distant.arrivals).toHaveLength(20)
    expect(mostInOneSecond(distant.arrivals)).toBe(RATE)
    // The window holds back only the calls it must: 20 calls at five a second take about four seconds,
    // not the five and more that a wait after every fifth call, or a 429's second, would add.
    const seconds = (distant.arrivals.at(-1)! - started) / 1000
    expect(seconds).toBeGreaterThan(3.8)
    expect(seconds).toBeLessThan(4.8)
  })
})
