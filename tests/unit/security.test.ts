import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { clientIp, RateLimiter } from '../../src/web/security'

describe('client addresses and rate limits', () => {
  it('behind a trusted proxy, takes the hop the proxy appended, not what the client wrote', async () => {
    const app = new Hono()
    app.get('/', (c) => c.text(clientIp(c, true) ?? 'none'))
    const response = await app.request('/', { headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.9' } })
    expect(await response.text()).toBe('203.0.113.9')
    const untrusted = new Hono()
    untrusted.get('/', (c) => c.text(clientIp(c, false) ?? 'none'))
    expect(await (await untrusted.request('/', { headers: { 'x-forwarded-for': '6.6.6.6' } })).text()).toBe(
      'none',
    )
  })

  it('counts per key in a sliding window and forgets idle keys', () => {
    const limiter = new RateLimiter(2, 60_000)
    expect(limiter.hit('a', 0)).toBe(0)
    expect(limiter.hit('a', 1000)).toBe(0)
    expect(limiter.hit('a', 2000)).toBe(58_000)
    expect(limiter.hit('b', 2000)).toBe(0)
    expect(limiter.hit('a', 61_000)).toBe(0)
    // Only the hits older than the window were forgotten: 61,000 still counts.
    expect(limiter.hit('a', 61_500)).toBe(0)
    expect(limiter.hit('a', 62_000)).toBe(59_000)
    expect(limiter.hit('a', 121_000)).toBe(0)
    expect(limiter.hit('a', 121_400)).toBe(100)
  })
})
