import { describe, expect, it } from 'vitest'
import { markdownTree } from '../../emails/_lib/markdown'
import { compileLesson } from '../../src/content/compile'
import {
  escapeHtml,
  greetingName,
  type PersonalValues,
  personalize,
  toTemplate,
} from '../../src/content/personalize'
import { PLACEHOLDERS } from '../../src/content/placeholders'
import type { Lesson } from '../../src/content/types'

const site = { courseName: 'Course', baseUrl: 'https://course.example.org', postalAddress: '1 Street, Town' }
const lesson: Lesson = {
  kind: 'lesson',
  course: 'c',
  file: 'lessons/c/00-x.md',
  slug: 'x',
  title: 'Title',
  subject: 'Subject',
  preview: 'Preview',
  day: 0,
  markdown: 'Hello.\n',
  tree: markdownTree('Hello.\n'),
  bodyLine: 7,
}
const values = (firstName: string): PersonalValues => ({
  firstName,
  unsubscribeUrl: 'https://course.example.org/unsubscribe?token=a.b.c&x=1',
  preferencesUrl: 'https://course.example.org/preferences?token=p',
  viewInBrowserUrl: 'https://course.example.org/courses/c/lessons/x',
  confirmUrl: '',
  startUrl: '',
  offerUrl: '',
  nextUrl: '',
})

describe('personalize', () => {
  it('fills every placeholder in the HTML and the text part', async () => {
    const compiled = await compileLesson(lesson, { courseTitle: 'Course', number: 1, count: 1 }, site)
    expect(compiled.html.names).toEqual(
      expect.arrayContaining(['firstName', 'unsubscribeUrl', 'preferencesUrl', 'viewInBrowserUrl']),
    )
    const out = personalize(compiled, values('Sam'))
    for (const token of Object.values(PLACEHOLDERS)) {
      expect(out.html).not.toContain(token)
      expect(out.text).not.toContain(token)
    }
    expect(out.html).toContain('Hi Sam,')
    expect(out.html).toContain('href="https://course.example.org/unsubscribe?token=a.b.c&amp;x=1"')
    expect(out.text).toContain('https://course.example.org/unsubscribe?token=a.b.c&x=1')
  })

  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['"><img src=x onerror=alert(1)>', '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'],
    ["O'Brien & Sons", 'O&#39;Brien &amp; Sons'],
  ])('puts the name %s into the HTML as text only', async (name, escaped) => {
    const out = personalize(
      await compileLesson(lesson, { courseTitle: 'Course', number: 1, count: 1 }, site),
      values(name),
    )
    expect(out.html).toContain(`Hi ${escaped},`)
    expect(out.html).not.toContain(name)
    expect(out.text).toContain(`Hi ${name},`)
  })

  it('cuts templates at placeholders and joins values in order', () => {
    const template = toTemplate(`a${PLACEHOLDERS.firstName}b${PLACEHOLDERS.viewInBrowserUrl}c`)
    expect(template).toEqual({ parts: ['a', 'b', 'c'], names: ['firstName', 'viewInBrowserUrl'] })
    const compiled = {
      kind: 'lesson' as const,
      course: 'c',
      slug: 's',
      subject: 'S',
      preview: 'P',
      html: template,
      text: template,
    }
    expect(personalize(compiled, { ...values('<x>'), viewInBrowserUrl: 'u&v' }).html).toBe(
      'a&lt;x&gt;bu&amp;vc',
    )
  })

  it('greets by first name, or "there"', () => {
    expect(greetingName('  Jane   Doe ')).toBe('Jane')
    expect(greetingName('')).toBe('there')
    expect(greetingName(null)).toBe('there')
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;')
  })
})
