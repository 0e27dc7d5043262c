import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shortCourse, subscribeAndConfirm } from '../helpers/course'
import { FIXTURES, type Harness } from '../helpers/harness'

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
      expect(page).toContain(`href="/courses/short/lessons/${slug}"`)
  })

  it('shows each lesson as a page of the site: its course, navigation, disclaimer, a signup form, share meta; nothing personal', async () => {
    const lesson = await get('/courses/short/lessons/second')
    const html = await lesson.text()
    expect(lesson.status).toBe(200)
    // Nothing of the email: no greeting, no unsubscribe or preference links, no "view in browser", no placeholder.
    expect(html).not.toMatch(/Hi there|href="[^"]*(unsubscribe|preferences)|View in browser|%%|token=/i)
    expect(html).toContain(
      '<p class="eyebrow"><a href="/courses/short">The short course</a> · Lesson 2 of 4</p>',
    )
    expect(html).toContain('<h1>The second lesson</h1>')
    expect(html).toContain('This is the body of <strong>The second lesson</strong>.')
    expect(html).toContain('education, not medical advice')
    expect(html).toContain('<a rel="prev" href="/courses/short/lessons/start">← Start here</a>')
    expect(html).toContain('<a rel="next" href="/courses/short/lessons/third">The third lesson →</a>')
    expect(html).toContain('<a href="/archive#short">All lessons</a>')
    expect(html).toContain('<input type="hidden" name="course" value="short">')
    expect(html).toContain(
      '<link rel="canonical" href="https://course.example.org/courses/short/lessons/second">',
    )
    expect(html).toContain(
      '<meta name="description" content="What The second lesson is about, in one line.">',
    )
    expect(html).toContain('<meta property="og:title" content="The second lesson">')
    expect(html).toContain('<meta property="og:type" content="article">')
    expect(html).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1">/)
    // The first lesson has no previous one; the last none after it.
    expect(await (await get('/courses/short/lessons/start')).text()).not.toContain('rel="prev"')
    expect(await (await get('/courses/short/lessons/fourth')).text()).not.toContain('rel="next"')
    // Opened from the email itself: the reader needs no signup form.
    const fromEmail = await (await get('/courses/short/lessons/second?from=email')).text()
    expect(fromEmail).not.toContain('name="course"')
    expect(fromEmail).toContain(
      '<link rel="canonical" href="https://course.example.org/courses/short/lessons/second">',
    )

    const issue = await get('/newsletters/autumn')
    expect(issue.status).toBe(200)
    const issueHtml = await issue.text()
    expect(issueHtml).toContain('<h1>Autumn issue</h1>')
    expect(issueHtml).toContain('<a href="https://example.org/autumn">link</a>')
    expect(issueHtml).toContain('<link rel="canonical" href="https://course.example.org/newsletters/autumn">')
    expect(issueHtml).not.toMatch(/Hi there|href="[^"]*(unsubscribe|preferences)|%%|token=/i)
    expect((await get('/newsletters/future')).status).toBe(404)
    expect((await get('/courses/short/lessons/nope')).status).toBe(404)
    expect((await get('/courses/nope/lessons/second')).status).toBe(404)
  })

  it('sends the lesson addresses of the one-course release to their lesson', async () => {
    const old = await get('/lessons/second')
    expect(old.status).toBe(301)
    expect(old.headers.get('location')).toBe('/courses/short/lessons/second')
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
      // The whole issue, as HTML, not only its summary.
      expect(entry.content['@_type']).toBe('html')
      expect(entry.content['#text']).toBe(
        '<p>A newsletter body with a <a href="https://example.org/autumn">link</a>.</p>',
      )
    }
    expect(feed.updated).toBe('2026-11-01T00:00:00Z')
  })

  it('points every email’s "view in browser" link at its web version', async () => {
    await subscribeAndConfirm(h, 'viewer@example.org')
    const lesson = (await h.outbox()).at(-1)!
    const view = lesson.link('/lessons/')!
    expect(view).toBe('https://course.example.org/courses/short/lessons/start?from=email')
    expect((await get(new URL(view).pathname)).status).toBe(200)
  })
})

describe('the archive and feed with several issues', () => {
  let h: Harness
  let dir: string
  beforeAll(async () => {
    // The shared fixtures (autumn, future) plus two more past issues, in a folder of this test's own.
    dir = mkdtempSync(path.join(tmpdir(), 'course-archive-'))
    const newsletters = path.join(dir, 'newsletters')
    cpSync(path.join(FIXTURES, 'newsletters-short'), newsletters, { recursive: true })
    const issue = (date: string, slug: string, title: string) =>
      writeFileSync(
        path.join(newsletters, `${date}-${slug}.md`),
        `---\ntitle: "${title}"\nsubject: "${title}"\npreview: "One more issue."\ndate: "${date}"\n---\n\nBody of ${slug}.\n`,
      )
    issue('2026-08-15', 'summer', 'Summer issue')
    issue('2026-11-20', 'winter', 'Winter issue')
    h = await shortCourse({
      engine: 'pglite',
      start: '2026-11-23T12:00:00Z',
      env: { NEWSLETTERS_DIR: newsletters },
    })
  })
  afterAll(async () => {
    await h?.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const newestFirst = ['winter', 'autumn', 'summer']

  it('/archive lists the published issues newest first', async () => {
    const page = await (await h.services.web.request('/archive')).text()
    const listed = [...page.matchAll(/href="\/newsletters\/([^"]+)"/g)].map((m) => m[1])
    expect(listed).toEqual(newestFirst)
  })

  it('/feed.xml has its entries newest first, and is as recent as its newest entry', async () => {
    const xml = await (await h.services.web.request('/feed.xml')).text()
    expect(XMLValidator.validate(xml)).toBe(true)
    const feed = new XMLParser({ ignoreAttributes: false }).parse(xml).feed
    const entries = feed.entry as { title: string; link: { '@_href': string }; published: string }[]
    expect(entries.map((e) => new URL(e.link['@_href']).pathname)).toEqual(
      newestFirst.map((slug) => `/newsletters/${slug}`),
    )
    expect(entries.map((e) => e.title)).toEqual(['Winter issue', 'Autumn issue', 'Summer issue'])
    expect(entries.map((e) => e.published)).toEqual([
      '2026-11-20T00:00:00Z',
      '2026-11-01T00:00:00Z',
      '2026-08-15T00:00:00Z',
    ])
    expect(feed.updated).toBe('2026-11-20T00:00:00Z')
  })
})

describe('the archive and feeds with two courses', () => {
  let h: Harness
  beforeAll(async () => {
    h = await shortCourse({ engine: 'pglite', fixture: 'lessons-two', start: '2026-11-23T12:00:00Z' })
  })
  afterAll(async () => {
    await h.close()
  })
  const get = (path: string) => h.services.web.request(path)

  it('groups the lessons by course, in listing order', async () => {
    const page = await (await get('/archive')).text()
    const headings = [...page.matchAll(/<h2[^>]*>([^<]+)<\/h2>/g)].map((m) => m[1])
    expect(headings).toEqual(['The short course', 'The follow-up course', 'Newsletter issues'])
    const followUp = page.slice(page.indexOf('The follow-up course'), page.indexOf('Newsletter issues'))
    expect([...followUp.matchAll(/href="\/courses\/follow-up\/lessons\/([^"]+)"/g)].map((m) => m[1])).toEqual(
      ['hello', 'next-step', 'last-word'],
    )
  })

  it('publishes a valid feed per course whose entries are that course’s lessons', async () => {
    const response = await get('/courses/follow-up/feed.xml')
    expect(response.headers.get('content-type')).toContain('application/atom+xml')
    const xml = await response.text()
    expect(XMLValidator.validate(xml)).toBe(true)
    const feed = new XMLParser({ ignoreAttributes: false }).parse(xml).feed
    expect(feed.title).toBe('The follow-up course')
    const entries = feed.entry as { link: { '@_href': string } }[]
    const paths = entries.map((e) => new URL(e.link['@_href']).pathname)
    expect(paths).toEqual([
      '/courses/follow-up/lessons/hello',
      '/courses/follow-up/lessons/next-step',
      '/courses/follow-up/lessons/last-word',
    ])
    for (const path of paths) expect((await get(path)).status).toBe(200)
    // Each entry carries the lesson's whole text, not only its summary.
    const contents = (feed.entry as { content: { '#text': string; '@_type': string } }[]).map(
      (e) => e.content,
    )
    expect(contents[0]!['@_type']).toBe('html')
    expect(contents[0]!['#text']).toContain('This is the body of <strong>Hello again</strong>')
    expect((await get('/courses/nope/feed.xml')).status).toBe(404)
  })
})
