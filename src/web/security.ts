import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context, MiddlewareHandler } from 'hono'
import { csrf } from 'hono/csrf'
import { HTTPException } from 'hono/http-exception'
import { secureHeaders } from 'hono/secure-headers'
import { messagePage } from './layout'

/**
 * Pages: scripts and styles only from this site; nothing may frame them. Written as directives for
 * Hono's secure-headers, which joins them into "default-src 'self'; script-src 'self'; …".
 */
const PAGE_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'https:'],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  objectSrc: ["'none'"],
}

/** Email HTML shown on the site: inline styles are how emails are styled; never scripts. */
export const EMAIL_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"

/** One year, subdomains included (the value the issue asks for; preload would need two years). */
const HSTS = 'max-age=31536000; includeSubDomains'

/** What {@link securityHeaders} needs from the configuration. */
export interface SecurityHeaderOptions {
  /** Send Strict-Transport-Security (production only: it would pin a developer's localhost to https). */
  hsts: boolean
}

/**
 * Security headers on every answer, through Hono's own secure-headers: the page CSP, nosniff,
 * `Referrer-Policy: no-referrer` (confirmation, unsubscribe and preferences links carry tokens in
 * their query string, which a Referer would hand to the next site), X-Frame-Options DENY, COOP
 * same-origin, and HSTS when asked. `overwrite: false` lets a route set its own CSP and
 * X-Frame-Options first (the email frames). Hono's other defaults (CORP, Origin-Agent-Cluster,
 * X-XSS-Protection, …) are off: answers carry the same headers as before, so nothing embedding this
 * site's assets or forms breaks.
 */
export function securityHeaders(options: SecurityHeaderOptions): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: PAGE_CSP,
    xContentTypeOptions: true,
    referrerPolicy: 'no-referrer',
    xFrameOptions: 'DENY',
    crossOriginOpenerPolicy: 'same-origin',
    strictTransportSecurity: options.hsts ? HSTS : false,
    crossOriginResourcePolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    overwrite: false,
  })
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

  /** What is left of the key's window: requests still allowed, and ms until the oldest one expires. */
  state(key: string, now: number): { limit: number; remaining: number; resetMs: number } {
    const recent = (this.#hits.get(key) ?? []).filter((time) => time > now - this.windowMs)
    return {
      limit: this.limit,
      remaining: Math.max(0, this.limit - recent.length),
      resetMs: recent.length === 0 ? 0 : (recent[0] as number) + this.windowMs - now,
    }
  }
}

/**
 * Refuses form posts from other sites (CSRF), with Hono's csrf middleware. This site sends
 * `Referrer-Policy: no-referrer`, under which Chromium sends `Origin: null` on every form post, so
 * the Origin alone cannot tell our pages from others; `Sec-Fetch-Site: same-origin` can, and
 * Chromium sends it wherever the page is a secure context (https, and http on localhost or
 * 127.0.0.1; on plain http at any other address it sends neither, and the post is refused with
 * advice). Only same-origin passes: `same-site` would let a sibling subdomain, which the
 * SameSite=Strict cookie does not keep out, post here. A real Origin (clients without Sec-Fetch-Site)
 * passes when it is BASE_URL's or the address the request was sent to.
 */
export function sameOriginPosts(
  site: string,
  baseUrl: string,
  onRefusal: (c: Context) => void = () => {},
): MiddlewareHandler {
  const ownOrigin = new URL(baseUrl).origin
  const check = csrf({ origin: (origin, c) => origin === ownOrigin || origin === new URL(c.req.url).origin })
  return async (c, next) => {
    try {
      return await check(c, next)
    } catch (error) {
      // Only csrf's own refusal arrives here: Hono turns a later handler's error into its answer.
      if (!(error instanceof HTTPException) || error.status !== 403) throw error
      onRefusal(c)
      const why =
        'Your browser did not show that this form came from this site. Open the page at its https address (or at localhost) and try again.'
      return c.html(messagePage(site, 'Not allowed', why), 403)
    }
  }
}
