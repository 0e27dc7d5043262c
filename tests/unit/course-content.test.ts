import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadCourses } from '../../src/content/courses'
import { loadNewsletters } from '../../src/content/load'
import { countWords } from '../../src/content/markdown'
import { listUnsubscribeHeaders } from '../../src/mail/headers'
import { REPO_ROOT } from '../helpers/harness'

describe('the shipped course', () => {
  const { courses, problems } = loadCourses(path.join(REPO_ROOT, 'lessons'))
  const lessons = courses.find((course) => course.slug === 'avoiding-smp-regrets')?.lessons ?? []

  it('has at least seven valid lessons, from day 0, in increasing days', () => {
    expect(problems).toEqual([])
    expect(courses.map((course) => course.slug)).toContain('avoiding-smp-regrets')
    expect(lessons.length).toBeGreaterThanOrEqual(7)
    expect(lessons[0]!.day).toBe(0)
    for (let i = 1; i < lessons.length; i++) expect(lessons[i]!.day).toBeGreaterThan(lessons[i - 1]!.day)
  })

  it.each(lessons.map((lesson) => [lesson.file, lesson] as const))(
    '%s is 350 to 800 words with a preheader of at most 110 characters',
    (_file, lesson) => {
      const words = countWords(lesson.markdown)
      expect(words).toBeGreaterThanOrEqual(350)
      expect(words).toBeLessThanOrEqual(800)
      expect(lesson.preview.length).toBeLessThanOrEqual(110)
    },
  )

  it('says SMP is non-surgical and permanent, and covers the topics the course promises', () => {
    const text = lessons.map((lesson) => lesson.markdown.toLowerCase()).join('\n')
    for (const topic of [
      'not surgery',
      'permanent',
      'keloid',
      'bleeding',
      'infection',
      'healed',
      'touch-up',
      'hairline',
      'sun',
      'checklist',
    ]) {
      expect(text, topic).toContain(topic)
    }
  })

  it('includes at least one newsletter issue', () => {
    const { newsletters, problems: newsletterProblems } = loadNewsletters(path.join(REPO_ROOT, 'newsletters'))
    expect(newsletterProblems).toEqual([])
    expect(newsletters.length).toBeGreaterThanOrEqual(1)
  })
})

describe('List-Unsubscribe headers (RFC 2369 / RFC 8058)', () => {
  it('offers the https one-click URL, and a mailto only when the sender address can take replies', () => {
    const url = 'https://course.example.org/unsubscribe?token=t'
    expect(listUnsubscribeHeaders({ url, from: 'Course <course@mail.smp-course.net>', token: 't' })).toEqual({
      'List-Unsubscribe':
        '<https://course.example.org/unsubscribe?token=t>, <mailto:course@mail.smp-course.net?subject=unsubscribe%20t>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    })
    expect(
      listUnsubscribeHeaders({ url, from: 'noreply@smp-course.net', token: 't' })['List-Unsubscribe'],
    ).toBe(`<${url}>`)
    expect(
      listUnsubscribeHeaders({ url, from: 'Course <course@example.com>', token: 't' })['List-Unsubscribe'],
    ).toBe(`<${url}>`)
  })
})
