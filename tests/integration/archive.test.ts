import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shortCourse, subscribeAndConfirm } from '../helpers/course'
import type { Harness } from '../helpers/harness'

describe('the public archive and feed', () => {
  let h: Harness
  beforeAll(async () => {
    h = await shortCourse({ engine: 'pglite', start: '2026-11-23T12:00:00Z' })
  })
  afterAll(async () => {
    await h.close()
  })
  const get = (path: string) => h.services.web.request(path)

  it('lists published issues (not future ones) and the course lessons', async () => {
    const response = await get('/archive')
    const page = await response.text()
    expect(response.status).toBe(200)
    expect(page).toContain('href="/newsletters/autumn"')
    expect(page).not.toContain('future')
    for (const slug of ['start', 'second', 'third', 'fourth'])
      expect(page).toContain(`href="/lessons/${slug}"`)
  })

  it('shows each email’s web version without personal data, and hides issues dated in the future', async () => {
    const lesson = await get('/lessons/second')
    const html = await lesson.text()
    expect(lesson.status).toBe(200)
    expect(html).toContain('Hi there,')
    expect(html).not.toContain('token=')
    expect(lesson.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect((await get('/newsletters/autumn')).status).toBe(200)
    expect((await get('/newsletters/future')).status).toBe(404)
    expect((await get('/lessons/nope')).status).toBe(404)
  })

  it('publishes a valid Atom feed of the issues whose links resolve', async () => {
    const response = await get('/feed.xml')
    const xml = await response.text()
    expect(response.headers.get('content-type')).toContain('application/atom+xml')
    expect(XMLValidator.validate(xml)).toBe(true)
    const feed = new XMLParser({ ignoreAttributes: false }).parse(xml).feed
    expect(feed['@_xmlns']).toBe('http://www.w3.org/2005/Atom')
    const entries = Array.isArray(feed.entry) ? feed.entry : [feed.entry]
    expect(entries.map((e: { title: string }) => e.title)).toEqual(['Autumn issue'])
    for (const entry of entries) {
      const href = entry.link['@_href'] as string
      expect(href).toBe('https://course.example.org/newsletters/autumn')
      expect((await get(new URL(href).pathname)).status).toBe(200)
    }
    expect(feed.updated).toBe('2026-11-01T00:00:00Z')
  })

  it('points every email’s "view in browser" link at its web version', async () => {
    await subscribeAndConfirm(h, 'viewer@example.org')
    const lesson = (await h.outbox()).at(-1)!
    const view = lesson.link('/lessons/')!
    expect(view).toBe('https://course.example.org/lessons/start')
    expect((await get(new URL(view).pathname)).status).toBe(200)
  })
})
