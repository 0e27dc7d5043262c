import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context, MiddlewareHandler } from 'hono'

/** Pages: scripts and styles only from this site; nothing may frame them; no referrer (links carry tokens). */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

/** Email HTML shown on the site: inline styles are how emails are styled; never scripts. */
export const EMAIL_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"

/** Security headers on every answer; routes may set their own CSP first. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next()
    if (!c.res.headers.has('Content-Security-Policy')) c.res.headers.set('Content-Security-Policy', PAGE_CSP)
    c.res.headers.set('X-Content-Type-Options', 'nosniff')
    c.res.headers.set('Referrer-Policy', 'no-referrer')
    if (!c.res.headers.has('X-Frame-Options')) c.res.headers.set('X-Frame-Options', 'DENY')
    c.res.headers.set('Cross-Origin-Opener-Policy', 'same-origin')
  }
}

/**
 * The client's address: the socket peer, or, behind a trusted proxy, the last X-Forwarded-For hop
 * (the one that proxy appended; anything to its left was written by the client and can be forged).
 */
export function clientIp(c: Context, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim()
    if (forwarded) return forwarded.slice(0, 64)
  }
  try {
    return getConnInfo(c).remote.address ?? null
  } catch {
    return null // no socket (requests made in-process, as in tests)
  }
}

/**
 * A per-key sliding-window counter kept in memory (per process: behind several web servers each
 * counts its own share). Old entries are swept as the map is used.
 */
export class RateLimiter {
  readonly #hits = new Map<string, number[]>()
  #lastSweep = 0

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts a hit; returns how long to wait (ms) if over the limit, else 0. */
  hit(key: string, now: number): number {
    const since = now - this.windowMs
    // Forget idle keys once per window, so many distinct addresses cannot grow the map without bound
    // nor make every request walk it.
    if (now - this.#lastSweep >= this.windowMs) {
      this.#lastSweep = now
      for (const [k, times] of this.#hits) if ((times.at(-1) ?? 0) <= since) this.#hits.delete(k)
    }
    let recent = this.#hits.get(key)
    if (!recent) {
      recent = []
      this.#hits.set(key, recent)
    }
    // The times are in order: drop the expired ones from the front, without walking the rest.
    let expired = 0
    while (expired < recent.length && (recent[expired] as number) <= since) expired++
    if (expired > 0) recent.splice(0, expired)
    if (recent.length >= this.limit) return (recent[0] as number) + this.windowMs - now
    recent.push(now)
    return 0
  }
}
