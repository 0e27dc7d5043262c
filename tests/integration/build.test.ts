import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCourse } from '../helpers/cli'
import { contentDirs, lessonText, validLesson } from '../helpers/content-fixtures'
import { REPO_ROOT } from '../helpers/harness'

const env = (extra: Record<string, string>) => ({
  NODE_ENV: 'test',
  BASE_URL: 'https://course.example.org',
  POSTAL_ADDRESS: '1 Test Street, Testville',
  ...extra,
})

describe('npm run build', () => {
  it('compiles every shipped lesson, newsletter and the confirmation email into checked HTML and text', async () => {
    const { root } = contentDirs({})
    const out = path.join(root, 'dist')
    const result = await runCourse(['build', '--out', out], env({}), REPO_ROOT)
    expect(result.err).toBe('')
    expect(result.code).toBe(0)
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
      kind: string
      slug: string
      subject: string
      htmlBytes: number
    }[]
    const lessons = manifest.filter((m) => m.kind === 'lesson')
    expect(lessons.length).toBeGreaterThanOrEqual(7)
    expect(manifest.some((m) => m.kind === 'newsletter')).toBe(true)
    expect(manifest.find((m) => m.kind === 'confirmation')?.subject).toContain('Confirm')

    for (const email of manifest) {
      const html = readFileSync(path.join(out, `${email.slug}.html`), 'utf8')
      const text = readFileSync(path.join(out, `${email.slug}.txt`), 'utf8')
      expect(email.htmlBytes, email.slug).toBeLessThan(102 * 1024)
      expect(html).toMatch(/<html[^>]* lang="en"/)
      expect(html).toContain('max-width:600px')
      expect(html).toMatch(/data-skip-in-text="true">[^<]{10,}/) // the preheader
      expect(html).not.toMatch(/<style|<script|<link /i)
      expect(html).toContain('1 Test Street, Testville')
      for (const [, href] of html.matchAll(/href="([^"]+)"/g))
        expect(href, `${email.slug}: ${href}`).toMatch(/^(https:\/\/|mailto:)/)
      expect(text.trim().length).toBeGreaterThan(200)
      if (email.kind === 'confirmation') continue
      expect(html).toContain('education, not medical advice')
      expect(html).toContain('href="https://course.example.org/unsubscribe"')
      expect(html).toContain('href="https://course.example.org/preferences"')
      expect(html).toMatch(/<h1[^>]*>[^<]+<\/h1>/)
      expect(text).toContain('Unsubscribe <https://course.example.org/unsubscribe>')
    }
  })

  it('fails listing every problem of every file, and writes nothing', async () => {
    const { lessonsDir, newslettersDir, root } = contentDirs({
      '00-a.md': validLesson(0),
      '01-b.md': lessonText({ title: 'B', subject: 'S', preview: 'P', day: 'two' }),
      '02-c.md': lessonText({ title: 'C', subject: 'S', preview: 'P', day: 3 }, 'Hi <b>there</b>\n'),
    })
    writeFileSync(path.join(newslettersDir, '2026-01-01-n.md'), '---\ntitle: "N"\n---\nBody\n')
    const out = path.join(root, 'dist')
    const result = await runCourse(
      ['build', '--out', out],
      env({ LESSONS_DIR: lessonsDir, NEWSLETTERS_DIR: newslettersDir }),
      root,
    )
    expect(result.code).toBe(1)
    expect(result.err).toContain('lessons/01-b.md: day: expected a whole number (line 5)')
    expect(result.err).toContain('lessons/02-c.md: body: raw HTML is not allowed')
    expect(result.err).toContain('newsletters/2026-01-01-n.md: subject: required')
    expect(result.err).toContain('newsletters/2026-01-01-n.md: date: required')
    expect(result.err).toMatch(/build failed: \d+ problem/)
    expect(() => readFileSync(path.join(out, 'manifest.json'))).toThrow()
  })

  it('lists day-order problems together with the other problems of the same files, in one run', async () => {
    const { lessonsDir, newslettersDir, root } = contentDirs({
      '00-a.md': validLesson(0),
      '01-b.md': lessonText({ title: 'B', subjct: 'S', preview: 'P', day: 4 }),
      '02-c.md': lessonText({ title: 'C', subject: 'S', preview: 'P', day: 2 }, 'Hi %%FIRST_NAME%%!\n'),
      '03-d.md': '---\ntitle: "D"\nsubject: "S\npreview: "P"\nday: 9\n---\n\nBody\n',
    })
    const result = await runCourse(
      ['build', '--out', path.join(root, 'dist')],
      env({ LESSONS_DIR: lessonsDir, NEWSLETTERS_DIR: newslettersDir }),
      root,
    )
    expect(result.code).toBe(1)
    expect(result.err.split('\n').filter(Boolean)).toEqual([
      'lessons/01-b.md: subject: required',
      'lessons/01-b.md: subjct: unknown key: did you mean "subject"? (allowed: title, subject, preview, day, slug) (line 3)',
      'lessons/02-c.md: body: "%%FIRST_NAME%%" looks like a template placeholder; it would be replaced with reader data or left as is: remove it (line 8)',
      'lessons/03-d.md: front matter: not valid YAML: a value is missing its closing quote (") (line 3)',
      'lessons/02-c.md: day: day 2 comes before day 4 of lessons/01-b.md: days must increase with the file order',
      'build failed: 5 problem(s)',
    ])
  })
})
