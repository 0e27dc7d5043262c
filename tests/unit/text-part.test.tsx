import { describe, expect, it } from 'vitest'
import { markdownTree } from '../../emails/_lib/markdown'
import { compileLesson } from '../../src/content/compile'
import type { Lesson } from '../../src/content/types'
import { renderWebVersion } from '../../src/content/web-version'

const markdown = `First paragraph of the lesson, long enough that it has to wrap onto a second line when the text part is laid out for a plain-text mail reader.

Second paragraph with a [useful link](https://example.org/some/page) in it.

## What to ask

- Can I see healed results, months or years old, of people with my skin tone?
- Who exactly will do the work?

1. Book a consultation.
2. Take your time.

> A quoted thought.
`

async function textPart() {
  const lesson: Lesson = {
    kind: 'lesson',
    course: 'c',
    file: 'f',
    slug: 'ask',
    title: 'Questions',
    subject: 'S',
    preview: 'P',
    day: 0,
    markdown,
    tree: markdownTree(markdown),
    bodyLine: 7,
  }
  const compiled = await compileLesson(
    lesson,
    { courseTitle: 'Course', number: 2, count: 7 },
    { courseName: 'Course', baseUrl: 'https://c.example.org', postalAddress: '1 Street, Town' },
  )
  return renderWebVersion('https://c.example.org', compiled).text
}

describe('the text part', () => {
  it('reads well on its own: paragraphs apart, lists kept, link URLs shown', async () => {
    const text = await textPart()
    expect(text).toMatch(/\n\nSecond paragraph/)
    expect(text).toContain('useful link <https://example.org/some/page>')
    expect(text).toContain(' - Can I see healed results')
    expect(text).toContain(' 1. Book a consultation.')
    expect(text).toContain(' 2. Take your time.')
    expect(text).toContain('> A quoted thought.')
    expect(text).toContain('What to ask')
    expect(text).not.toMatch(/<\/?(p|div|a|span|table|td|br|h[1-6])\b/i)
  })

  it('wraps lines at 78 characters except where a single word (a URL) is longer', async () => {
    const long = (await textPart()).split('\n').filter((line) => line.length > 78)
    for (const line of long)
      expect(
        line
          .trim()
          .split(/\s+/)
          .some((word) => word.length > 40),
        line,
      ).toBe(true)
  })

  it('carries the footer: disclaimer, why, unsubscribe and preferences URLs, postal address', async () => {
    const text = await textPart()
    expect(text).toContain('education, not medical advice')
    expect(text).toContain('You are receiving this because you signed up')
    expect(text).toContain('Unsubscribe <https://c.example.org/unsubscribe>')
    expect(text).toContain('Email preferences <https://c.example.org/preferences>')
    expect(text).toContain('1 Street, Town')
  })
})
