import { describe, expect, it } from 'vitest'
import { CallWindow } from '../../src/delivery/throttle'
import { FakeClock } from '../helpers/fake-clock'

const T0 = '2027-01-04T09:00:00.000Z'
const at = (clock: FakeClock) => clock.now().getTime() - new Date(T0).getTime()

/** Starts and answers `n` calls, `everyMs` apart, each answered `durationMs` after its start. */
async function calls(window: CallWindow, clock: FakeClock, n: number, everyMs: number, durationMs: number) {
  const signal = new AbortController().signal
  for (let i = 0; i < n; i++) {
    const answered = await window.take(5, clock, signal)
    clock.advance(durationMs)
    answered!()
    clock.advance(everyMs - durationMs)
  }
}

describe('CallWindow', () => {
  it('lets calls through at once while fewer than the limit were made', async () => {
    const clock = new FakeClock(T0)
    const window = new CallWindow()
    await calls(window, clock, 5, 0, 0)
    expect(at(clock)).toBe(0)
  })

  it('starts a call no sooner than a second (and 5 ms) after the answer to the call `limit` places before it', async () => {
    const clock = new FakeClock(T0)
    const window = new CallWindow()
    // Five calls 100 ms apart, the first answered after 150 ms (at 150), the others after 10.
    const signal = new AbortController().signal
    const first = await window.take(5, clock, signal)
    clock.advance(150)
    first!()
    clock.advance(-50)
    await calls(window, clock, 4, 100, 10)
    expect(at(clock)).toBe(500)
    const sixth = await window.take(5, clock, signal)
    expect(at(clock)).toBe(1155)
    sixth!()
    // The seventh is decided by the second call's answer (at 110): its second has passed.
    await window.take(5, clock, signal)
    expect(at(clock)).toBe(1155)
  })

  it('waits for the answer to a call still in flight when that call decides', async () => {
    const clock = new FakeClock(T0)
    const window = new CallWindow()
    const signal = new AbortController().signal
    const inFlight = await window.take(1, clock, signal)
    let taken = false
    const next = window.take(1, clock, signal).then((answered) => {
      taken = true
      return answered
    })
    // The fake clock's sleeps return at once: only the answer can let the next call go.
    for (let i = 0; i < 20; i++) await Promise.resolve()
    expect(taken).toBe(false)
    clock.advance(40)
    inFlight!()
    expect(await next).not.toBeNull()
    expect(at(clock)).toBe(1045)
  })

  it('gives two callers waiting for the same place one place each', async () => {
    const clock = new FakeClock(T0)
    const window = new CallWindow()
    const signal = new AbortController().signal
    const done = await window.take(1, clock, signal)
    done!()
    const taken: string[] = []
    const take = (name: string) =>
      window.take(1, clock, signal).then((answered) => {
        taken.push(name)
        return { name, answered: answered! }
      })
    const both = [take('a'), take('b')]
    const first = await Promise.race(both)
    for (let i = 0; i < 20; i++) await Promise.resolve()
    // The other found the first one's call in flight and waits for its answer.
    expect(taken).toEqual([first.name])
    const answeredAt = at(clock)
    first.answered()
    const second = (await Promise.all(both)).find((t) => t.name !== first.name)!
    expect(taken).toHaveLength(2)
    expect(second.answered).toBeTypeOf('function')
    expect(at(clock)).toBe(answeredAt + 1005)
  })

  it('counts no call and returns null once the signal is aborted', async () => {
    const clock = new FakeClock(T0)
    const window = new CallWindow()
    const live = new AbortController()
    const inFlight = await window.take(1, clock, live.signal)
    const stopping = new AbortController()
    const waiting = window.take(1, clock, stopping.signal)
    stopping.abort()
    expect(await waiting).toBeNull()
    // The aborted wait took no place: once the call in flight is answered, the next call is decided
    // by it alone.
    inFlight!()
    clock.advance(1005)
    const before = at(clock)
    expect(await window.take(1, clock, live.signal)).not.toBeNull()
    expect(at(clock)).toBe(before)
  })
})
