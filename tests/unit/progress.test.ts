import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createProgress } from '../../src/cli/progress'
import { formatTable } from '../../src/cli/table'

function sink(isTTY: boolean) {
  let text = ''
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk)
        done()
      },
    }),
    { isTTY },
  )
  return { stream, text: () => text }
}

describe('progress reporting', () => {
  it('draws a bar with count, rate and ETA on a terminal', () => {
    let now = 0
    const out = sink(true)
    const progress = createProgress({ label: 'sending', stream: out.stream, total: 1000, now: () => now })
    now = 10_000
    progress.update(250)
    progress.finish()
    expect(out.text()).toContain('\rsending [======                  ] 250/1000  25% 25/s ETA 30s')
    expect(out.text().endsWith('250/1000  25% 25/s in 10s\x1b[K\n')).toBe(true)
  })

  it('writes a plain line every few seconds when not on a terminal (logs, CI)', () => {
    let now = 0
    const out = sink(false)
    const progress = createProgress({ label: 'queueing', stream: out.stream, total: 100, now: () => now })
    for (let i = 1; i <= 100; i++) {
      now += 100
      progress.update(i)
    }
    progress.finish()
    const lines = out.text().trim().split('\n')
    expect(lines).toHaveLength(3) // at 5 s, at 10 s, and the final line
    expect(lines.at(-1)).toBe('queueing: 100/100 100% 10/s in 10s')
    expect(out.text()).not.toContain('\r')
  })

  it('aligns tables, numbers to the right', () => {
    expect(
      formatTable(
        ['name', 'n'],
        [
          ['a', 1],
          ['bbb', 22],
        ],
      ),
    ).toBe('name   n\n----  --\na      1\nbbb   22')
  })
})
