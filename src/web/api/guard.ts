import { createHash } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { type ApiKey, findIdempotent, type Scope, verifyKey } from '../../access/keys'
import type { Db } from '../../db/db'
import type { Clock } from '../../lib/clock'
import { RateLimiter } from '../security'
import { problem } from './problems'

/** What the API's guards put on the context. */
export type ApiEnv = { Variables: { apiKey: ApiKey } }

/**
 * Every API request: a key (`Authorization: Bearer ck_…`), checked and rate-limited per key. The
 * `RateLimit` header (`limit`, `remaining`, `reset` seconds) is on every answer; 429 adds Retry-After.
 */
export function requireKey(deps: { db: Db; clock: Clock; rateLimit: number }): MiddlewareHandler<ApiEnv> {
  const limiter = new RateLimiter(deps.rateLimit, 60_000)
  return async (c, next) => {
    const header = c.req.header('authorization') ?? ''
    const presented = /^Bearer\s+(\S+)$/i.exec(header)?.[1]
    if (!presented) {
      c.header('WWW-Authenticate', 'Bearer realm="api"')
      return problem(
        c,
        401,
        'Unauthorized',
        'Send an API key: Authorization: Bearer ck_… (course keys create makes one).',
      )
    }
    const now = deps.clock.now()
    const check = await verifyKey(deps.db, presented, now)
    if (!check.ok) {
      c.header('WWW-Authenticate', 'Bearer realm="api", error="invalid_token"')
      const detail =
        check.reason === 'revoked'
          ? 'This API key was revoked.'
          : check.reason === 'malformed'
            ? 'That is not an API key (they look like ck_xxxxxxxx_…).'
            : 'Unknown API key.'
      return problem(c, 401, 'Unauthorized', detail)
    }
    const wait = limiter.hit(String(check.key.id), now.getTime())
    const state = limiter.state(String(check.key.id), now.getTime())
    c.header(
      'RateLimit',
      `limit=${state.limit}, remaining=${state.remaining}, reset=${Math.ceil(state.resetMs / 1000)}`,
    )
    c.header('RateLimit-Policy', `${state.limit};w=60`)
    if (wait > 0) {
      c.header('Retry-After', String(Math.ceil(wait / 1000)))
      return problem(
        c,
        429,
        'Too many requests',
        `This key may make ${state.limit} requests a minute. Try again later.`,
      )
    }
    c.set('apiKey', check.key)
    return next()
  }
}

/** A route's scope: a key without it gets 403, naming the scope. */
export function requireScope(scope: Scope): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (!c.var.apiKey.scopes.includes(scope))
      return problem(c, 403, 'Forbidden', `This API key lacks the ${scope} scope.`)
    return next()
  }
}

const MAX_IDEMPOTENCY_KEY = 200

/**
 * Idempotency-Key on POSTs (and DELETEs): the first answer is kept (a day); a replay with the same body
 * answers it again (Idempotent-Replayed: true); the same key with another body is refused (422); one
 * still running answers 409. Answers of 5xx are not kept: the request may be retried.
 */
export function idempotent(deps: {
  db: Db
  clock: Clock
  save: (entry: {
    keyId: number
    idempotencyKey: string
    requestHash: string
    status: number
    body: unknown
  }) => Promise<boolean>
}): MiddlewareHandler<ApiEnv> {
  const running = new Set<string>()
  return async (c, next) => {
    if (c.req.method !== 'POST' && c.req.method !== 'DELETE') return next()
    const idempotencyKey = c.req.header('idempotency-key')
    if (idempotencyKey === undefined) return next()
    if (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY)
      return problem(
        c,
        400,
        'Invalid Idempotency-Key',
        `The Idempotency-Key header must be 1 to ${MAX_IDEMPOTENCY_KEY} characters.`,
      )
    const keyId = c.var.apiKey.id
    const body = await c.req.text()
    const requestHash = createHash('sha256').update(`${c.req.method} ${c.req.path}\n${body}`).digest('hex')
    const earlier = await findIdempotent(deps.db, keyId, idempotencyKey)
    if (earlier) {
      if (earlier.request_hash !== requestHash)
        return problem(
          c,
          422,
          'Idempotency-Key reused',
          'This Idempotency-Key was used with another request; use a new key for a new request.',
        )
      c.header('Idempotent-Replayed', 'true')
      return c.json(earlier.body as object, earlier.status as 200)
    }
    const slot = `${keyId}\n${idempotencyKey}`
    if (running.has(slot))
      return problem(
        c,
        409,
        'Request in progress',
        'A request with this Idempotency-Key is still running; retry once it has answered.',
      )
    running.add(slot)
    try {
      await next()
      const status = c.res.status
      if (status < 500) {
        const answer = await c.res.clone().text()
        let parsed: unknown = null
        try {
          parsed = answer === '' ? null : JSON.parse(answer)
        } catch {}
        await deps.save({ keyId, idempotencyKey, requestHash, status, body: parsed })
      }
    } finally {
      running.delete(slot)
    }
  }
}

/** The page cursor: the last id of the page, opaque to clients. */
export const cursor = {
  encode: (id: number) => Buffer.from(`s:${id}`).toString('base64url'),
  decode: (value: string | undefined): number | null => {
    if (value === undefined) return 0
    const match = /^s:(\d{1,15})$/.exec(Buffer.from(value, 'base64url').toString())
    return match ? Number(match[1]) : null
  },
}

export type { Context }
