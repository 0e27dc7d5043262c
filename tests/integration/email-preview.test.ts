import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { render } from '@react-email/render'
import type { ComponentType } from 'react'
import { createElement } from 'react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writePreviews } from '../../scripts/email-preview'
import type { ContentSource } from '../../src/content/catalog'
import { CHROMIUM_PATH, launchChromium } from '../helpers/browser'
import { createHarness, FIXTURES, type Harness, REPO_ROOT } from '../helpers/harness'
import { freePort, spawnTs, waitForHttp } from '../helpers/process'

/** A copy of the two fixture courses and the fixture newsletters, for a test to edit. */
function contentCopy() {
  mkdirSync(path.join(REPO_ROOT, '.preview'), { recursive: true })
  const dir = mkdtempSync(path.join(tmpdir(), 'course-preview-'))
  cpSync(path.join(FIXTURES, 'lessons-two'), path.join(dir, 'lessons'), {
    recursive: true,
    dereference: true,
  })
  cpSync(path.join(FIXTURES, 'newsletters-short'), path.join(dir, 'newsletters'), { recursive: true })
  const source: ContentSource = {
    lessonsDir: path.join(dir, 'lessons'),
    newslettersDir: path.join(dir, 'newsletters'),
    site: { courseName: 'Site', baseUrl: 'https://course.example.org', postalAddress: '1 Street, Town' },
  }
  // The preview modules import React and the templates: they live in the project, where node_modules is.
  const out = mkdtempSync(path.join(REPO_ROOT, '.preview', 'test-'))
  return { dir, source, out }
}

describe('the React Email preview of every real email (npm run email:dev)', () => {
  let copy: ReturnType<typeof contentCopy>
  beforeEach(() => {
    copy = contentCopy()
  })
  afterEach(() => {
    rmSync(copy.dir, { recursive: true, force: true })
    rmSync(copy.out, { recursive: true, force: true })
  })
  const emailsDir = path.join(REPO_ROOT, 'emails')

  it('writes one module per lesson, confirmation, invitation and issue, each rendering the real template', async () => {
    const { files, problems } = await writePreviews(copy.source, copy.out, emailsDir)
    expect(problems).toEqual([])
    expect(files.sort()).toEqual([
      'follow-up/00-hello.tsx',
      'follow-up/01-next-step.tsx',
      'follow-up/02-last-word.tsx',
      'follow-up/confirmation.tsx',
      'follow-up/invitation.tsx',
      'newsletters/2026-11-01-autumn.tsx',
      'newsletters/2099-01-01-future.tsx',
      'short/00-start.tsx',
      'short/01-second.tsx',
      'short/02-third.tsx',
      'short/03-fourth.tsx',
      'short/confirmation.tsx',
      'short/invitation.tsx',
    ])
    const module = (await import(path.join(copy.out, 'short/01-second.tsx'))) as { default: ComponentType }
    const html = await render(createElement(module.default))
    expect(html).toContain('The second lesson')
    expect(html).toContain('Hi Sam,')
    expect(html).toContain('This is the body of <strong>The second lesson</strong>')
    expect(html).toContain('https://course.example.org/unsubscribe?token=preview&amp;list=short')
  })

  it('rewrites only what changed, removes what is gone, and lists the content’s problems', async () => {
    await writePreviews(copy.source, copy.out, emailsDir)
    const second = path.join(copy.out, 'short/01-second.tsx')
    const other = path.join(copy.out, 'follow-up/00-hello.tsx')
    const before = statSync(other).mtimeMs
    const lesson = path.join(copy.source.lessonsDir, 'short/01-second.md')
    writeFileSync(
      lesson,
      readFileSync(lesson, 'utf8').replace('title: "The second lesson"', 'title: "Renamed"'),
    )
    rmSync(path.join(copy.source.lessonsDir, 'short/03-fourth.md'))
    await writePreviews(copy.source, copy.out, emailsDir)
    expect(readFileSync(second, 'utf8')).toContain('"title":"Renamed"')
    // The other course did not change: its files were left alone (the preview server reloads nothing).
    expect(statSync(other).mtimeMs).toBe(before)
    expect(existsSync(path.join(copy.out, 'short/03-fourth.tsx'))).toBe(false)

    writeFileSync(lesson, readFileSync(lesson, 'utf8').replace(/^day: .*$/m, 'day: soon'))
    const broken = await writePreviews(copy.source, copy.out, emailsDir)
    expect(broken.problems).toEqual(['lessons/short/01-second.md: day: expected a whole number (line 6)'])
    expect(readFileSync(path.join(copy.out, '_content-problems.tsx'), 'utf8')).toContain(
      'lessons/short/01-second.md: day: expected a whole number (line 6)',
    )
    // The other course is still previewed.
    expect(broken.files).toContain('follow-up/00-hello.tsx')
  })

  it('serves the previews with React Email, and shows an edit in the open preview', async () => {
    const port = await freePort()
    const server = spawnTs('scripts/email-dev.ts', ['--port', String(port), '--out', copy.out], {
      LESSONS_DIR: copy.source.lessonsDir,
      NEWSLETTERS_DIR: copy.source.newslettersDir,
      BASE_URL: 'https://course.example.org',
    })
    const browser = CHROMIUM_PATH ? await launchChromium(CHROMIUM_PATH) : null
    try {
      const url = `http://127.0.0.1:${port}/preview/short/01-second`
      await waitForHttp(url, 120_000)
      expect(await (await fetch(url)).text()).toContain('The second lesson')
      const page = browser ? await browser.newPage() : null
      // The open preview logs "Reloading..." each time React Email tells it a file changed.
      let reloads = 0
      page?.on('console', (message) => {
        if (message.text() === 'Reloading...') reloads++
      })
      await page?.goto(url)
      if (page) {
        // React Email starts watching the folder and accepts the page's socket only after its server
        // answers: until a change in the folder reaches the page, an edit could go unseen.
        const probe = path.join(copy.out, 'hot-reload-probe.txt')
        let probes = 0
        await expect
          .poll(
            () => {
              writeFileSync(probe, String(++probes))
              return reloads
            },
            { timeout: 90_000, interval: 1_000 },
          )
          .toBeGreaterThan(0)
      }
      const lesson = path.join(copy.source.lessonsDir, 'short/01-second.md')
      writeFileSync(
        lesson,
        readFileSync(lesson, 'utf8').replace('title: "The second lesson"', 'title: "Edited title"'),
      )
      // The module is written again…
      const module = path.join(copy.out, 'short/01-second.tsx')
      await expect
        .poll(() => readFileSync(module, 'utf8'), { timeout: 30_000 })
        .toContain('"title":"Edited title"')
      // …and the preview open in the browser shows the edit (React Email reloads it).
      if (page)
        await expect
          .poll(() => page.frameLocator('iframe').getByRole('heading', { name: 'Edited title' }).count(), {
            timeout: 60_000,
          })
          .toBe(1)
          .catch((error: Error) => {
            throw new Error(
              `${error.message}\nreloads seen by the page: ${reloads}\nemail:dev said:\n${server.output()}`,
            )
          })
      // Stopped, it leaves nothing behind: React Email's CLI runs as a child of its own child.
      server.child.kill('SIGTERM')
      await server.exited
      const answering = () =>
        fetch(url).then(
          () => true,
          () => false,
        )
      await expect.poll(answering, { timeout: 30_000 }).toBe(false)
    } finally {
      await browser?.close()
      server.child.kill('SIGTERM')
      const stopped = await Promise.race([
        server.exited,
        new Promise((resolve) => setTimeout(() => resolve('timeout'), 15_000)),
      ])
      if (stopped === 'timeout') server.child.kill('SIGKILL')
    }
  }, 240_000)
})

describe('the /dev/emails page', () => {
  let h: Harness
  let copy: ReturnType<typeof contentCopy>
  beforeEach(async () => {
    copy = contentCopy()
    h = await createHarness({
      engine: 'pglite',
      env: { LESSONS_DIR: copy.source.lessonsDir, NEWSLETTERS_DIR: copy.source.newslettersDir },
    })
  })
  afterEach(async () => {
    await h.close()
    rmSync(copy.dir, { recursive: true, force: true })
    rmSync(copy.out, { recursive: true, force: true })
  })
  const get = async (url: string) => (await h.services.web.request(url)).text()

  it('lists every real email, and shows one at 600 and 375 px, light and darkened, with its text part', async () => {
    const list = await get('/dev/emails')
    for (const [kind, course, slug] of [
      ['lesson', 'short', 'start'],
      ['lesson', 'short', 'fourth'],
      ['lesson', 'follow-up', 'last-word'],
      ['confirmation', 'short', 'confirm'],
      ['invitation', 'follow-up', 'start'],
    ])
      expect(list).toContain(`href="/dev/emails/show?kind=${kind}&amp;course=${course}&amp;slug=${slug}"`)
    expect(list).toContain('href="/dev/emails/show?kind=newsletter&amp;slug=autumn"')
    const shown = await get('/dev/emails/show?kind=lesson&course=short&slug=second')
    expect(shown).toContain('<h1>The second lesson (subject)</h1>')
    expect(shown).toContain('Preview text: “What The second lesson is about, in one line.”')
    expect(shown.match(/<figure class="w600">/g)).toHaveLength(2)
    expect(shown.match(/<figure class="w375">/g)).toHaveLength(2)
    expect(shown).toContain('<div class="frames darkened">')
    expect(shown).toContain('Hi Sam,')
    const frame = await h.services.web.request('/dev/emails/html?kind=lesson&course=short&slug=second')
    expect(frame.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await frame.text()
    expect(html).toContain('Hi Sam,')
    expect(html).toContain('https://course.example.org/preferences?token=preview')
    expect((await h.services.web.request('/dev/emails/show?kind=lesson&course=short&slug=nope')).status).toBe(
      404,
    )
  })

  it('reads the files again when they change, and lists their problems', async () => {
    const lesson = path.join(copy.source.lessonsDir, 'short/01-second.md')
    writeFileSync(
      lesson,
      readFileSync(lesson, 'utf8').replace(
        'subject: "The second lesson (subject)"',
        'subject: "A new subject"',
      ),
    )
    expect(await get('/dev/emails')).toContain('A new subject')
    writeFileSync(lesson, readFileSync(lesson, 'utf8').replace(/^day: .*$/m, 'day: soon'))
    const list = await get('/dev/emails')
    expect(list).toContain('1 problem(s) in the content')
    expect(list).toContain('<code>lessons/short/01-second.md: day: expected a whole number (line 6)</code>')
  })

  it('does not exist in production', async () => {
    await h.close()
    h = await createHarness({
      engine: 'pglite',
      env: {
        NODE_ENV: 'production',
        BASE_URL: 'https://course.example.org',
        ALLOW_OUTBOX_IN_PRODUCTION: 'true',
      },
    })
    expect((await h.services.web.request('/dev/emails')).status).toBe(404)
  })
})
