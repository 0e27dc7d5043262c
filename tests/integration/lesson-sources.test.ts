import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contentDirs, lessonText } from '../helpers/content-fixtures'
import { createHarness, type Harness } from '../helpers/harness'
import { subscribeAndConfirm } from '../helpers/web'

const NHS = 'https://www.nhs.uk/conditions/hair-loss/'
const FDA = 'https://www.fda.gov/cosmetics/cosmetic-products/tattoos-permanent-makeup-fact-sheet'

/** A lesson with `sources:` after its other keys (lessonText writes only one-line values). */
const withSources = lessonText({ title: 'Cited', subject: 'Cited lesson', preview: 'P', day: 0 }).replace(
  '\n---\n',
  `\nsources:\n  - title: "NHS: Hair loss & its causes"\n    url: "${NHS}"\n  - title: "FDA: Tattoos and permanent makeup"\n    url: "${FDA}"\n---\n`,
)

describe('sources: listed on the lesson page, linked from the email', () => {
  let h: Harness
  let root: string
  beforeAll(async () => {
    const dirs = contentDirs(
      {
        'c/00-cited.md': withSources,
        'c/01-plain.md': lessonText({ title: 'Plain', subject: 'Plain lesson', preview: 'P', day: 2 }),
      },
      {
        '2026-11-16-cited.md': `---\ntitle: "Cited issue"\nsubject: "S"\npreview: "P"\ndate: "2026-11-16"\nsources:\n  - title: "NHS"\n    url: "${NHS}"\n---\n\nBody.\n`,
      },
    )
    root = dirs.root
    h = await createHarness({
      engine: 'pglite',
      start: '2026-11-23T08:00:00Z',
      env: { LESSONS_DIR: dirs.lessonsDir, NEWSLETTERS_DIR: dirs.newslettersDir },
    })
  })
  afterAll(async () => {
    await h?.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('shows a Sources heading (id "sources") with a link per source, escaped', async () => {
    const response = await h.services.web.request('/courses/c/lessons/cited')
    const page = await response.text()
    expect(response.status).toBe(200)
    expect(page).toContain('<h2 id="sources">Sources</h2>')
    expect(page).toContain(`<li><a href="${NHS}">NHS: Hair loss &amp; its causes</a></li>`)
    expect(page).toContain(`<li><a href="${FDA}">FDA: Tattoos and permanent makeup</a></li>`)
    // Inside the article, before the disclaimer and the navigation.
    expect(page.indexOf('id="sources"')).toBeLessThan(page.indexOf('</article>'))
    const plain = await (await h.services.web.request('/courses/c/lessons/plain')).text()
    expect(plain).not.toContain('id="sources"')
    const issue = await (await h.services.web.request('/newsletters/cited')).text()
    expect(issue).toContain('<h2 id="sources">Sources</h2>')
    expect(issue).toContain(`<li><a href="${NHS}">NHS</a></li>`)
  })

  it('gives the lesson email one line linking to the page’s sources, in the HTML and the text part', async () => {
    await subscribeAndConfirm(h, 'reader@example.org', { course: 'c' })
    const lesson = (await h.outbox()).find((m) => m.subject === 'Cited lesson')!
    const url = 'https://course.example.org/courses/c/lessons/cited#sources'
    expect(lesson.html).toContain(`Sources for this lesson are listed on <a href="${url}"`)
    expect(lesson.text.replace(/\s+/g, ' ')).toContain(
      `Sources for this lesson are listed on its web page <${url}>`,
    )
    // Not the sources themselves: the email stays short.
    expect(lesson.html).not.toContain(NHS)
  })

  it('leaves the line out of a lesson without sources', async () => {
    h.clock.advanceDays(3)
    await h.tick()
    const plain = (await h.outbox()).find((m) => m.subject === 'Plain lesson')!
    expect(plain.html).not.toContain('#sources')
    expect(plain.text).not.toContain('Sources for this')
  })
})
