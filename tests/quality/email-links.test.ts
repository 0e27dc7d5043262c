import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONFIRM_TOKEN_TTL_MS, createToken } from '../../src/lib/links'
import { serveApp, type TestServer } from '../helpers/browser'
import { createHarness, type Harness, REPO_ROOT } from '../helpers/harness'
import { composeAll, hrefs, QUALITY_FIXTURES, type QualityEmail } from '../helpers/quality-emails'
import { MAIN_COURSE } from '../helpers/web'

interface Link {
  url: string
  /** Where it was found, e.g. `lesson/welcome (HTML)`. */
  where: string
}

/** Every URL a reader (or their mail client) can open from an email: HTML links, text part, header. */
function linksOf(e: QualityEmail): Link[] {
  const html = hrefs(e.email.html).map((url) => ({ url, where: `${e.name} (HTML)` }))
  // html-to-text writes each link as "text <url>".
  const text = [...e.email.text.matchAll(/<((?:https?|mailto):[^>\s]+)>/g)].map((m) => ({
    url: m[1] as string,
    where: `${e.name} (text)`,
  }))
  const header = [...(e.email.headers['List-Unsubscribe'] ?? '').matchAll(/<(https:[^>]+)>/g)].map((m) => ({
    url: m[1] as string,
    where: `${e.name} (List-Unsubscribe)`,
  }))
  return [...html, ...text, ...header]
}

/** An outside link must be one a reader can safely open: https, a real host name, nothing hidden in it. */
function externalProblem(url: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'not a valid absolute URL'
  }
  if (parsed.protocol !== 'https:') return `uses ${parsed.protocol} (outside links must be https)`
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(parsed.hostname))
    return `host "${parsed.hostname}" is not a domain name`
  if (/^[\d.]+$/.test(parsed.hostname)) return 'host is an IP address'
  if (parsed.username || parsed.password) return 'carries credentials'
  if (/\s/.test(url)) return 'contains white space'
  return null
}

describe('links in every email', () => {
  let h: Harness
  let server: TestServer
  let newslettersDir: string
  let emails: QualityEmail[]
  let subscriberId: number

  beforeAll(async () => {
    // The shipped newsletters and the fixture side by side, so the app serves every issue's web version.
    newslettersDir = mkdtempSync(path.join(tmpdir(), 'course-links-newsletters-'))
    for (const dir of [path.join(REPO_ROOT, 'newsletters'), path.join(QUALITY_FIXTURES, 'newsletters')]) {
      for (const name of readdirSync(dir).filter((file) => file.endsWith('.md')))
        copyFileSync(path.join(dir, name), path.join(newslettersDir, name))
    }
    h = await createHarness({ engine: 'pglite', env: { NEWSLETTERS_DIR: newslettersDir } })
    server = await serveApp((request, env) => h.services.web.fetch(request, env))

    // A real subscriber, created and confirmed through the app, so every token names someone.
    const signup = await h.services.web.request('/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'links@example.net', name: 'Lin', course: MAIN_COURSE }).toString(),
    })
    expect(signup.status).toBe(303)
    await h.services.sender.whenIdle()
    const { rows } = await h.db.query<{ id: number }>('select id from subscribers')
    subscriberId = rows[0]!.id
    const confirmToken = createToken(
      h.config.secret,
      'confirm',
      subscriberId,
      new Date(h.clock.now().getTime() + CONFIRM_TOKEN_TTL_MS),
    )
    const confirmed = await h.services.web.request('/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: confirmToken }).toString(),
    })
    expect(confirmed.status).toBe(200)
    await h.services.sender.whenIdle()

    emails = composeAll(h.services.webDeps.content(), {
      settings: {
        baseUrl: h.config.baseUrl,
        from: h.config.mail.from,
        replyTo: h.config.mail.replyTo,
        secret: h.config.secret,
      },
      to: { id: subscriberId, email: 'links@example.net', name: 'Lin', queuedAt: h.clock.now() },
    })
  })

  afterAll(async () => {
    await server?.close()
    await h?.close()
    rmSync(newslettersDir, { recursive: true, force: true })
  })

  it('covers every email, the fixture newsletter included', () => {
    const names = emails.map((e) => e.name)
    expect(names).toContain('newsletter/reader-questions')
    expect(names).toContain('confirmation/avoiding-smp-regrets')
    expect(names).toContain('invitation/avoiding-smp-regrets')
    // The shipped content holds two courses: every lesson of each is composed.
    const { courses } = h.services.webDeps.content()
    expect(courses.length).toBeGreaterThan(1)
    expect(names.filter((name) => name.startsWith('lesson/'))).toHaveLength(
      courses.reduce((sum, course) => sum + course.lessons.length, 0),
    )
    for (const course of courses) expect(names).toContain(`lesson/${course.slug}/${course.lessons[0]!.slug}`)
  })

  it('opens every link to our site on the running server with 200 (GET changes nothing)', async () => {
    const base = new URL(h.config.baseUrl)
    const own = emails.flatMap(linksOf).filter((link) => new URL(link.url).origin === base.origin)
    const unique = [...new Map(own.map((link) => [link.url, link])).values()]
    const failures: string[] = []
    for (const link of unique) {
      const target = new URL(link.url)
      const response = await fetch(`${server.url}${target.pathname}${target.search}`, { redirect: 'manual' })
      await response.arrayBuffer()
      if (response.status !== 200) failures.push(`${response.status} ${link.url} in ${link.where}`)
    }
    expect(failures).toEqual([])
    // Not vacuous: the footer and header links and every web version were among them.
    const paths = new Set(unique.map((link) => new URL(link.url).pathname))
    for (const expected of [
      '/unsubscribe',
      '/preferences',
      '/confirm',
      '/courses/avoiding-smp-regrets/start',
      '/newsletters/healed-results',
    ])
      expect(paths).toContain(expected)
    for (const lesson of h.services.webDeps.content().courses[0]!.lessons)
      expect(paths).toContain(`/courses/avoiding-smp-regrets/lessons/${lesson.slug}`)
    // Link scanners follow every GET: none of them may have unsubscribed the reader.
    const { rows } = await h.db.query<{ status: string }>('select status from subscribers where id = $1', [
      subscriberId,
    ])
    expect(rows[0]?.status).toBe('confirmed')
  })

  it('opens the archive from the web versions', async () => {
    const response = await fetch(`${server.url}/archive`)
    const page = await response.text()
    expect(response.status).toBe(200)
    for (const lesson of h.services.webDeps.content().courses[0]!.lessons)
      expect(page).toContain(`/courses/avoiding-smp-regrets/lessons/${lesson.slug}`)
  })

  it('points every other link at a well-formed https address (not fetched: no network here)', () => {
    const base = new URL(h.config.baseUrl)
    const outside = emails.flatMap(linksOf).filter((link) => {
      try {
        return new URL(link.url).origin !== base.origin
      } catch {
        return true
      }
    })
    const problems = outside
      .map((link) => ({ ...link, problem: externalProblem(link.url) }))
      .filter((link) => link.problem !== null)
    expect(problems).toEqual([])
    // The fixture newsletter links out, so this check has something to look at.
    expect(outside.map((link) => link.url)).toContain(
      'https://www.example.org/guides/choosing-a-practitioner',
    )
  })
})
