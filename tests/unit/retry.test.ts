import { describe, expect, it } from 'vitest'
import { backoffMs, planRetry } from '../../src/delivery/retry'
import { classifyResendError } from '../../src/mail/resend-errors'

const now = new Date('2027-01-01T00:00:00Z')
const fail = (status: number | null, name: string, headers: Record<string, string> = {}) =>
  classifyResendError({ statusCode: status, name, message: 'm' }, headers)

describe('retries', () => {
  it('backs off exponentially with jitter, capped at an hour', () => {
    expect(backoffMs(1, () => 0)).toBe(15_000)
    expect(backoffMs(1, () => 1)).toBe(30_000)
    expect(backoffMs(3, () => 1)).toBe(120_000)
    expect(backoffMs(20, () => 1)).toBe(3_600_000)
  })

  it('counts 5xx and network errors as attempts, and gives up at the limit', () => {
    const first = planRetry(0, fail(500, 'internal_server_error'), 3, now, () => 1)
    expect(first).toMatchObject({
      giveUp: false,
      attempts: 1,
      countAttempt: true,
      retryAt: new Date(now.getTime() + 30_000),
    })
    expect(planRetry(1, fail(null, 'application_error'), 3, now, () => 1)).toMatchObject({
      giveUp: false,
      attempts: 2,
    })
    expect(planRetry(2, fail(502, 'application_error'), 3, now)).toEqual({
      giveUp: true,
      attempts: 3,
      error: 'application_error: m',
    })
  })

  it('waits as asked on 429 and on a request still in flight, without using up attempts', () => {
    const limited = planRetry(7, fail(429, 'rate_limit_exceeded', { 'retry-after': '20' }), 8, now)
    expect(limited).toMatchObject({
      giveUp: false,
      attempts: 7,
      countAttempt: false,
      retryAt: new Date(now.getTime() + 20_000),
    })
    expect(planRetry(7, fail(409, 'concurrent_idempotent_requests'), 8, now)).toMatchObject({
      giveUp: false,
      attempts: 7,
    })
  })

  it('classifies provider answers into retry, give up, pause, or already accepted', () => {
    expect(fail(422, 'validation_error')).toMatchObject({ retryable: false })
    expect(fail(429, 'daily_quota_exceeded')).toMatchObject({ retryable: false, systemic: 'quota' })
    expect(fail(403, 'invalid_api_key')).toMatchObject({ systemic: 'auth' })
    expect(fail(409, 'invalid_idempotent_request')).toMatchObject({ alreadyAccepted: true })
    expect(
      fail(429, 'rate_limit_exceeded', { 'ratelimit-reset': '3', 'ratelimit-limit': '2' }),
    ).toMatchObject({
      retryable: true,
      retryAfterMs: 3000,
      rateLimit: { limit: 2, resetMs: 3000 },
    })
  })
})
