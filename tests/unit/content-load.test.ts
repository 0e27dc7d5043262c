import { describe, expect, it } from 'vitest'
import { folderOf, loadLessons as loadCourseLessons, loadNewsletters } from '../../src/content/load'
import { formatProblem } from '../../src/content/types'
import { contentDirs, lessonText, validLesson } from '../helpers/content-fixtures'

/** The lessons of one course folder (here the temporary `lessons/` itself, so messages name `lessons/…`). */
const loadLessons = (dir: string) => loadCourseLessons(folderOf(dir), 'c')

function problemsOf(lessons: Record<string, string>): string[] {
  return loadLessons(contentDirs(lessons).lessonsDir).problems.map(formatProblem)
}

describe('loading lessons', () => {
  it('loads valid lessons in file order, with slugs from file names or front matter', () => {
    const { lessonsDir } = contentDirs({
      '00-welcome.md': validLesson(0, 'Welcome'),
      '01-next.md': lessonText({ title: 'Next', subject: 'S', preview: 'P', day: 2, slug: 'custom-slug' }),
    })
    const { lessons, problems } = loadLessons(lessonsDir)
    expect(problems).toEqual([])
    expect(lessons.map((l) => [l.slug, l.day, l.title])).toEqual([
      ['welcome', 0, 'Welcome'],
      ['custom-slug', 2, 'Next'],
    ])
    expect(lessons[0]!.file).toBe('lessons/00-welcome.md')
    expect(lessons[0]!.markdown.trim()).toBe('A short paragraph of lesson text.')
  })

  it.each([
    [
      'a missing title',
      lessonText({ subject: 'S', preview: 'P', day: 0 }),
      'lessons/00-x.md: title: required',
    ],
    [
      'a day that is text',
      lessonText({ title: 'T', subject: 'S', preview: 'P', day: 'three' }),
      'lessons/00-x.md: day: expected a whole number (line 5)',
    ],
    [
      'a fractional day',
      '---\ntitle: "T"\nsubject: "S"\npreview: "P"\nday: 1.5\n---\nBody\n',
      'lessons/00-x.md: day: expected a whole number (line 5)',
    ],
    [
      'a negative day',
      '---\ntitle: "T"\nsubject: "S"\npreview: "P"\nday: -1\n---\nBody\n',
      'lessons/00-x.md: day: must be 0 or more',
    ],
    [
      'a long preview',
      lessonText({ title: 'T', subject: 'S', preview: 'x'.repeat(111), day: 0 }),
      'lessons/00-x.md: preview: must be at most 110 characters (line 4)',
    ],
    [
      'an unknown key',
      '---\ntitle: "T"\nsubject: "S"\npreview: "P"\nday: 0\nauthor: "me"\n---\nBody\n',
      'lessons/00-x.md: author: unknown key (allowed: title, subject, preview, day, slug, offer, sources) (line 6)',
    ],
    [
      'a title that is a list',
      '---\ntitle: [a, b]\nsubject: "S"\npreview: "P"\nday: 0\n---\nBody\n',
      'lessons/00-x.md: title: expected text (line 2)',
    ],
    [
      'an empty body',
      lessonText({ title: 'T', subject: 'S', preview: 'P', day: 0 }, '\n\n'),
      'lessons/00-x.md: body: the body is empty',
    ],
    [
      'raw HTML in a block',
      lessonText(
        { title: 'T', subject: 'S', preview: 'P', day: 0 },
        'Fine.\n\n<div onclick="x()">hi</div>\n',
      ),
      'lessons/00-x.md: body: raw HTML is not allowed',
    ],
    [
      'raw HTML inline',
      lessonText({ title: 'T', subject: 'S', preview: 'P', day: 0 }, 'A <b>bold</b> claim.\n'),
      'lessons/00-x.md: body: raw HTML is not allowed',
    ],
    [
      'an HTML comment',
      lessonText({ title: 'T', subject: 'S', preview: 'P', day: 0 }, 'Text\n\n<!-- note -->\n'),
      'lessons/00-x.md: body: raw HTML is not allowed',
    ],
    [
      'an image without alt text',
      lessonText(
        { title: 'T', subject: 'S', preview: 'P', day: 0 },
        'Look:\n\n![](https://example.com/a.png)\n',
      ),
      'lessons/00-x.md: body: image without alt text',
    ],
    [
      'a javascript: link',
      lessonText({ title: 'T', subject: 'S', preview: 'P', day: 0 }, '[click](javascript:alert(1))\n'),
      'lessons/00-x.md: body: link "javascript:alert(1)" uses javascript:',
    ],
    [
      'a relative link',
      lessonText({ title: 'T', subject: 'S', preview: 'P', day: 0 }, '[there](/somewhere)\n'),
      'is not an absolute URL',
    ],
    [
      'JavaScript front matter',
      '---js\n{ title: "T" }\n---\nBody\n',
      'lessons/00-x.md: front matter: JavaScript front matter is not allowed (it would run code); use YAML',
    ],
    [
      'no front matter',
      'Just text\n',
      'lessons/00-x.md: front matter: missing: the file must start with a "---" line (line 1)',
    ],
    ['broken YAML', '---\ntitle: "T\nday: 0\n---\nBody\n', 'lessons/00-x.md: front matter: not valid YAML'],
    [
      'a subject on two lines',
      '---\ntitle: "T"\nsubject: "a\\nb"\npreview: "P"\nday: 0\n---\nBody\n',
      'lessons/00-x.md: subject: must be a single line (line 3)',
    ],
  ])('reports %s as file: field: problem', (_name, text, expected) => {
    const problems = problemsOf({ '00-x.md': text })
    expect(
      problems.some((p) => p.startsWith(expected) || p.includes(expected)),
      problems.join('\n'),
    ).toBe(true)
  })

  it('reports raw HTML with the line of the file it is on', () => {
    const text = lessonText(
      { title: 'T', subject: 'S', preview: 'P', day: 0 },
      'One.\n\nTwo.\n\n<script>alert(1)</script>\n',
    )
    // front matter: lines 1-6, blank line 7, "One." 8, blank 9, "Two." 10, blank 11, script 12
    expect(problemsOf({ '00-x.md': text })).toContain(
      'lessons/00-x.md: body: raw HTML is not allowed in lessons (it would reach inboxes unchecked); write Markdown instead (line 12)',
    )
  })

  it('reports duplicate slugs, duplicate days and days out of order across files', () => {
    const problems = problemsOf({
      '00-a.md': validLesson(0),
      '01-b.md': lessonText({ title: 'B', subject: 'S', preview: 'P', day: 5, slug: 'a' }),
      '02-c.md': validLesson(5),
      '03-d.md': validLesson(3),
    })
    expect(problems).toContain('lessons/01-b.md: slug: "a" is also the slug of lessons/00-a.md')
    expect(problems).toContain('lessons/02-c.md: day: day 5 is also the day of lessons/01-b.md')
    expect(problems).toContain(
      'lessons/03-d.md: day: day 3 comes before day 5 of lessons/02-c.md: days must increase with the file order',
    )
  })

  it('lists every problem of every file in one run', () => {
    const problems = problemsOf({
      '00-a.md': lessonText({ subject: 'S', preview: 'P', day: 0 }),
      '01-b.md': lessonText({ title: 'T', subject: 'S', preview: 'P', day: 'x' }, '<b>x</b>'),
      '02-c.md': 'no front matter',
    })
    expect(problems.filter((p) => p.startsWith('lessons/00-a.md'))).toHaveLength(1)
    expect(problems.filter((p) => p.startsWith('lessons/01-b.md'))).toHaveLength(2)
    expect(problems.filter((p) => p.startsWith('lessons/02-c.md'))).toHaveLength(1)
  })

  it('checks day order and slugs across files that have other problems too, in the same run', () => {
    const { lessonsDir } = contentDirs({
      '00-a.md': validLesson(0),
      '01-b.md': lessonText({ title: 'B', subject: '', preview: 'P', day: 5 }),
      '02-c.md': lessonText({ title: 'C', subject: 'S', preview: 'P', day: 3 }, 'Hi <b>there</b>\n'),
      '03-d.md': lessonText({ title: 'D', subject: 'S', preview: 'P', day: 'x', slug: 'a' }),
      '04-e.md': lessonText({ title: 'E', subject: 'S', preview: 'P', day: 5 }, ''),
      '05-f.md': '---\ntitle: "F\n---\nBody\n',
    })
    const { lessons, problems } = loadLessons(lessonsDir)
    const messages = problems.map(formatProblem)
    expect(messages).toContain('lessons/01-b.md: subject: must not be empty (line 3)')
    expect(messages).toContain(
      'lessons/02-c.md: day: day 3 comes before day 5 of lessons/01-b.md: days must increase with the file order',
    )
    expect(messages).toContain('lessons/03-d.md: slug: "a" is also the slug of lessons/00-a.md')
    expect(messages).toContain('lessons/04-e.md: day: day 5 is also the day of lessons/01-b.md')
    // 03-d's day cannot be read, and 05-f's front matter not at all: neither takes part in the day order.
    expect(messages.filter((m) => m.includes('days must increase'))).toHaveLength(1)
    expect(lessons.map((lesson) => lesson.file)).toEqual(['lessons/00-a.md'])
  })

  it.each([
    ['subjct', 'did you mean "subject"? (allowed: title, subject, preview, day, slug, offer, sources)'],
    ['Title', 'did you mean "title"? (allowed: title, subject, preview, day, slug, offer, sources)'],
    ['previwe', 'did you mean "preview"? (allowed: title, subject, preview, day, slug, offer, sources)'],
    ['days', 'did you mean "day"? (allowed: title, subject, preview, day, slug, offer, sources)'],
    ['author', '(allowed: title, subject, preview, day, slug, offer, sources)'],
  ])('suggests the closest known key for the unknown key %s', (key, expected) => {
    const text = `---\ntitle: "T"\n${key}: "S"\npreview: "P"\nday: 0\n---\nBody\n`
    const unknown = key === 'author' ? 'unknown key ' : 'unknown key: '
    expect(problemsOf({ '03-x.md': text })).toContain(
      `lessons/03-x.md: ${key}: ${unknown}${expected} (line 3)`,
    )
  })

  const yaml = (lines: string[]) => `---\n${lines.join('\n')}\n---\n\nBody\n`
  it.each([
    [
      'an unclosed quote on line 3',
      yaml(['title: "T"', 'subject: "S', 'preview: "P"', 'day: 0']),
      'a value is missing its closing quote (") (line 3)',
    ],
    [
      'an unclosed quote on line 5',
      yaml(['title: "T"', 'subject: "S"', 'preview: "P"', "day: '0"]),
      "a value is missing its closing quote (') (line 5)",
    ],
    [
      'a key given twice',
      yaml(['title: "T"', 'title: "S"', 'preview: "P"', 'day: 0']),
      'the same key appears twice (title) (line 3)',
    ],
    [
      'an indented key on line 3',
      yaml(['title: "T"', '  subject: "S"', 'preview: "P"', 'day: 0']),
      'bad indentation: every key must start at the beginning of its line (line 3)',
    ],
    [
      'an indented key on line 5',
      yaml(['title: "T"', 'subject: "S"', 'preview: "P"', ' day: 0']),
      'bad indentation: every key must start at the beginning of its line (line 5)',
    ],
    [
      'a colon inside an unquoted value',
      yaml(['title: "T"', 'subject: "S"', 'day: 0', 'preview: Before: what to ask']),
      'a colon inside a value needs the value in quotes, like subject: "Lesson 4: aftercare" (line 5)',
    ],
    [
      'a missing colon',
      yaml(['title: "T"', 'subject "S"', 'preview: "P"', 'day: 0']),
      'a colon is missing: write key: value (line 3)',
    ],
    [
      'text after a closing quote',
      yaml(['title: "T"', 'subject: "S" and more', 'preview: "P"', 'day: 0']),
      'there is text after the closing quote: put the whole value in quotes (line 3)',
    ],
    [
      'no space after the colon',
      yaml(['title: "T"', 'subject: "S"', 'preview: "P"', 'day:0', 'slug:"x"']),
      'a space is missing after the colon (line 5)',
    ],
    [
      'a value starting with a bracket',
      yaml(['title: "T"', 'subject: [Draft] S', 'preview: "P"', 'day: 0']),
      'a value starting with "[" must be in quotes (line 3)',
    ],
  ])('explains broken YAML (%s) in plain words, with the line of the file', (_name, text, expected) => {
    expect(problemsOf({ '00-x.md': text })).toEqual([
      `lessons/00-x.md: front matter: not valid YAML: ${expected}`,
    ])
  })

  it('keeps a quoted value that spans lines apart from a later YAML error', () => {
    const text = yaml(['title: "A long', '  title"', 'subject "S"', 'preview: "P"', 'day: 0'])
    expect(problemsOf({ '00-x.md': text })).toEqual([
      'lessons/00-x.md: front matter: not valid YAML: a colon is missing: write key: value (line 4)',
    ])
  })

  const PLACEHOLDER =
    'looks like a template placeholder; it would be replaced with reader data or left as is: remove it'
  it('refuses template placeholders typed into the body, with the line of the file', () => {
    const text = lessonText(
      { title: 'T', subject: 'S', preview: 'P', day: 0 },
      'One.\n\nHi %%FIRST\\_NAME%%, see\n[this](https://x.org/%%VIEW_URL%%) and %%MY_TOKEN%%.\n',
    )
    // front matter: lines 1-6, blank 7, "One." 8, blank 9, "Hi" 10, link 11
    expect(problemsOf({ '00-x.md': text })).toEqual([
      `lessons/00-x.md: body: "%%FIRST_NAME%%" ${PLACEHOLDER} (line 10)`,
      `lessons/00-x.md: body: "%%VIEW_URL%%" ${PLACEHOLDER} (line 11)`,
      `lessons/00-x.md: body: "%%MY_TOKEN%%" ${PLACEHOLDER} (line 11)`,
    ])
  })

  it('refuses template placeholders in the title, subject and preview', () => {
    const text = lessonText({ title: 'T', subject: 'Hi %%FIRST_NAME%%', preview: '%%PREVIEW%%', day: 0 })
    expect(problemsOf({ '00-x.md': text })).toEqual([
      `lessons/00-x.md: subject: "%%FIRST_NAME%%" ${PLACEHOLDER} (line 3)`,
      `lessons/00-x.md: preview: "%%PREVIEW%%" ${PLACEHOLDER} (line 4)`,
    ])
  })

  it('gives independent results for identical files (gray-matter caching is never used)', () => {
    const text = validLesson(0)
    const { lessonsDir } = contentDirs({ '00-a.md': text, '01-b.md': text.replace('day: 0', 'day: 1') })
    const first = loadLessons(lessonsDir).lessons
    first[0]!.title = 'changed'
    expect(loadLessons(lessonsDir).lessons[0]!.title).toBe('Lesson on day 0')
  })
})

describe('loading newsletters', () => {
  it('accepts quoted and unquoted dates and takes the slug from the file name without the date', () => {
    const { newslettersDir } = contentDirs(
      {},
      {
        '2026-11-16-first.md':
          '---\ntitle: "First"\nsubject: "S"\npreview: "P"\ndate: "2026-11-16"\n---\nBody\n',
        '2026-12-01-second.md':
          '---\ntitle: "Second"\nsubject: "S"\npreview: "P"\ndate: 2026-12-01\n---\nBody\n',
      },
    )
    const { newsletters, problems } = loadNewsletters(newslettersDir)
    expect(problems).toEqual([])
    expect(newsletters.map((n) => [n.slug, n.date])).toEqual([
      ['first', '2026-11-16'],
      ['second', '2026-12-01'],
    ])
  })

  it('refuses a bad date, a missing preview and raw HTML, naming file and field', () => {
    const { newslettersDir } = contentDirs(
      {},
      { '2026-11-16-x.md': '---\ntitle: "T"\nsubject: "S"\ndate: "soon"\n---\n<p>x</p>\n' },
    )
    const problems = loadNewsletters(newslettersDir).problems.map(formatProblem)
    expect(problems).toContain('newsletters/2026-11-16-x.md: preview: required')
    expect(problems).toContain(
      'newsletters/2026-11-16-x.md: date: expected a date like "2026-11-16" (line 4)',
    )
    expect(problems.some((p) => p.startsWith('newsletters/2026-11-16-x.md: body: raw HTML'))).toBe(true)
  })
})
