import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadCourses } from '../../src/content/courses'
import { loadNewsletters } from '../../src/content/load'
import { countWords } from '../../src/content/markdown'
import { listUnsubscribeHeaders } from '../../src/mail/headers'
import { raw } from '../../src/web/html'
import { coursePage } from '../../src/web/pages/signup'
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

  it('covers the corrections and topics of the 2026-11-27 review (issue 19), in UK spelling', () => {
    const text = lessons.map((lesson) => lesson.markdown.toLowerCase()).join('\n')
    for (const topic of [
      'full removal is not always possible',
      'six to eight weeks',
      'lightening solutions',
      'lichen planus',
      'hepatitis b',
      'under 18',
      'alopecia areata',
      'not thought to harm',
      'do not wait for them',
      'finasteride',
      'numbing cream',
      'clinic figures',
      'mole',
      'keloid',
      'grey',
      'scar tissue',
      'hygiene, not skill',
      'patch test',
    ]) {
      expect(text, topic).toContain(topic)
    }
    expect(text).not.toMatch(/\btoward\b/)
    // Removed claims: an unsourced range of laser sessions, and a promise that removal always works.
    expect(text).not.toContain('seven sessions')
    expect(text).not.toMatch(/can be lightened, corrected or removed/)
  })

  it('offers the course for readers who already have SMP from its last lesson, when that course is there', () => {
    const last = lessons.at(-1)!
    if (courses.some((course) => course.slug === 'unhappy-with-your-smp')) {
      expect(last.offer).toBe('unhappy-with-your-smp')
      expect(last.markdown).toContain('Unhappy with your SMP?')
    }
  })

  it('names its author and the date it was last reviewed on its signup page', () => {
    const course = courses.find((one) => one.slug === 'avoiding-smp-regrets')!
    expect(course.author).toBe('The course editors')
    expect(course.reviewed).toBe('2026-11-27')
    expect(coursePage('Site', course, raw(''), {}, '2026-12-01')).toContain(
      '<p class="muted">Written by The course editors, last reviewed 27 November 2026.</p>',
    )
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
