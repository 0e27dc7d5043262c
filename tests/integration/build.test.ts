import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCourse } from '../helpers/cli'
import { contentDirs, courseText, lessonText, validLesson } from '../helpers/content-fixtures'
import { REPO_ROOT } from '../helpers/harness'

const env = (extra: Record<string, string>) => ({
  NODE_ENV: 'test',
  BASE_URL: 'https://course.example.org',
  POSTAL_ADDRESS: '1 Test Street, Testville',
  ...extra,
})

describe('npm run build', () => {
  it('compiles every course (lessons, confirmation, invitation) and newsletter into checked HTML and text', async () => {
    const { root } = contentDirs({})
    const out = path.join(root, 'dist')
    const result = await runCourse(['build', '--out', out], env({}), REPO_ROOT)
    expect(result.err).toBe('')
    expect(result.code).toBe(0)
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
      kind: string
      course: string | null
      slug: string
      subject: string
      htmlBytes: number
    }[]
    // The shipped course, and any other course folder beside it (issue 19 adds a second one).
    const lessons = manifest.filter((m) => m.kind === 'lesson' && m.course === 'avoiding-smp-regrets')
    expect(lessons.length).toBeGreaterThanOrEqual(7)
    expect(manifest.some((m) => m.kind === 'newsletter' && m.course === null)).toBe(true)
    expect(manifest.find((m) => m.kind === 'confirmation')?.subject).toContain('Confirm')
    expect(manifest.find((m) => m.kind === 'invitation')?.subject).toBe('Start Avoiding SMP regrets?')
    // Each course in a folder of its own: dist/emails/<course>/<lesson>.html
    readFileSync(path.join(out, 'avoiding-smp-regrets', `${lessons[0]!.slug}.html`))

    for (const email of manifest) {
      const name = email.course ? `${email.course}/${email.slug}` : email.slug
      const html = readFileSync(path.join(out, `${name}.html`), 'utf8')
      const text = readFileSync(path.join(out, `${name}.txt`), 'utf8')
      expect(email.htmlBytes, email.slug).toBeLessThan(102 * 1024)
      expect(html).toMatch(/<html[^>]* lang="en"/)
      expect(html).toContain('max-width:600px')
      expect(html).toMatch(/data-skip-in-text="true">[^<]{10,}/) // the preheader
      expect(html).not.toMatch(/<style|<script|<link /i)
      expect(html).toContain('1 Test Street, Testville')
      for (const [, href] of html.matchAll(/href="([^"]+)"/g))
        expect(href, `${email.slug}: ${href}`).toMatch(/^(https:\/\/|mailto:)/)
      expect(text.trim().length).toBeGreaterThan(200)
      if (email.kind === 'confirmation' || email.kind === 'invitation') continue
      expect(html).toContain('education, not medical advice')
      expect(html).toContain('href="https://course.example.org/unsubscribe"')
      expect(html).toContain('href="https://course.example.org/preferences"')
      expect(html).toMatch(/<h1[^>]*>[^<]+<\/h1>/)
      expect(text).toContain('Unsubscribe <https://course.example.org/unsubscribe>')
    }
  })

  it('fails listing every problem of every file, and writes nothing', async () => {
    const { lessonsDir, newslettersDir, root } = contentDirs({
      'first/00-a.md': validLesson(0),
      'first/01-b.md': lessonText({ title: 'B', subject: 'S', preview: 'P', day: 'two' }),
      'first/02-c.md': lessonText({ title: 'C', subject: 'S', preview: 'P', day: 3 }, 'Hi <b>there</b>\n'),
    })
    writeFileSync(path.join(newslettersDir, '2026-01-01-n.md'), '---\ntitle: "N"\n---\nBody\n')
    const out = path.join(root, 'dist')
    const result = await runCourse(
      ['build', '--out', out],
      env({ LESSONS_DIR: lessonsDir, NEWSLETTERS_DIR: newslettersDir }),
      root,
    )
    expect(result.code).toBe(1)
    expect(result.err).toContain('lessons/first/01-b.md: day: expected a whole number (line 5)')
    expect(result.err).toContain('lessons/first/02-c.md: body: raw HTML is not allowed')
    expect(result.err).toContain('newsletters/2026-01-01-n.md: subject: required')
    expect(result.err).toContain('newsletters/2026-01-01-n.md: date: required')
    expect(result.err).toMatch(/build failed: \d+ problem/)
    expect(() => readFileSync(path.join(out, 'manifest.json'))).toThrow()
  })

  it('lists day-order problems together with the other problems of the same files, in one run', async () => {
    const { lessonsDir, newslettersDir, root } = contentDirs({
      'c/00-a.md': validLesson(0),
      'c/01-b.md': lessonText({ title: 'B', subjct: 'S', preview: 'P', day: 4 }),
      'c/02-c.md': lessonText({ title: 'C', subject: 'S', preview: 'P', day: 2 }, 'Hi %%FIRST_NAME%%!\n'),
      'c/03-d.md': '---\ntitle: "D"\nsubject: "S\npreview: "P"\nday: 9\n---\n\nBody\n',
    })
    const result = await runCourse(
      ['build', '--out', path.join(root, 'dist')],
      env({ LESSONS_DIR: lessonsDir, NEWSLETTERS_DIR: newslettersDir }),
      root,
    )
    expect(result.code).toBe(1)
    expect(result.err.split('\n').filter(Boolean)).toEqual([
      'lessons/c/01-b.md: subject: required',
      'lessons/c/01-b.md: subjct: unknown key: did you mean "subject"? (allowed: title, subject, preview, day, slug, offer, sources) (line 3)',
      'lessons/c/02-c.md: body: "%%FIRST_NAME%%" looks like a template placeholder; it would be replaced with reader data or left as is: remove it (line 8)',
      'lessons/c/03-d.md: front matter: not valid YAML: a value is missing its closing quote (") (line 3)',
      'lessons/c/02-c.md: day: day 2 comes before day 4 of lessons/c/01-b.md: days must increase with the file order',
      'build failed: 5 problem(s)',
    ])
  })

  it('checks every course: its course.md, its folder name, its offers; and lessons left outside a course', async () => {
    const { lessonsDir, newslettersDir, root } = contentDirs(
      {
        '00-loose.md': validLesson(0),
        'no-course-md/00-a.md': validLesson(0),
        'Bad_Name/course.md': courseText('Bad name'),
        'Bad_Name/00-a.md': validLesson(0),
        'good/course.md': '---\ntitle: "Good"\ndescrption: "Typo"\n---\n',
        'good/00-a.md': lessonText({ title: 'A', subject: 'S', preview: 'P', day: 0, offer: 'nowhere' }),
        'cohort/course.md': '---\ntitle: "Cohort"\ndescription: "D"\npacing: cohort\n---\n',
        'cohort/00-a.md': validLesson(0),
      },
      {},
      { bare: true },
    )
    const out = path.join(root, 'dist')
    const result = await runCourse(
      ['build', '--out', out],
      env({ LESSONS_DIR: lessonsDir, NEWSLETTERS_DIR: newslettersDir }),
      root,
    )
    expect(result.code).toBe(1)
    const lines = result.err.split('\n').filter(Boolean)
    expect(lines).toEqual(
      expect.arrayContaining([
        'lessons/00-loose.md: file: lessons live in a course folder: move it to lessons/<course-slug>/ beside a course.md (the shipped course is lessons/avoiding-smp-regrets/)',
        'lessons/no-course-md/course.md: file: missing: every course folder needs a course.md (title, description)',
        'lessons/Bad_Name: folder: a course folder is named by its slug: lower-case letters, digits and single dashes',
        'lessons/good/course.md: description: required',
        expect.stringMatching(
          /^lessons\/good\/course\.md: descrption: unknown key: did you mean "description"\?/,
        ),
        'lessons/cohort/course.md: starts: required for pacing: cohort (the date day 0 falls on) (line 4)',
      ]),
    )
    expect(() => readFileSync(path.join(out, 'manifest.json'))).toThrow()
  })

  it('writes each course of several into its own folder', async () => {
    const { lessonsDir, newslettersDir, root } = contentDirs({
      'first/00-a.md': validLesson(0, 'First A'),
      'first/01-b.md': lessonText({ title: 'B', subject: 'S', preview: 'P', day: 2, offer: 'second' }),
      'second/00-a.md': validLesson(0, 'Second A'),
    })
    const out = path.join(root, 'dist')
    const result = await runCourse(
      ['build', '--out', out],
      env({ LESSONS_DIR: lessonsDir, NEWSLETTERS_DIR: newslettersDir }),
      root,
    )
    expect(result.err).toBe('')
    expect(result.code).toBe(0)
    expect(readFileSync(path.join(out, 'first', 'a.html'), 'utf8')).toContain('First A')
    expect(readFileSync(path.join(out, 'second', 'a.html'), 'utf8')).toContain('Second A')
    // The last lesson of the first course offers the second one.
    expect(readFileSync(path.join(out, 'first', 'b.txt'), 'utf8')).toContain('The second course')
    expect(result.out).toContain('built 7 emails')
  })
})
