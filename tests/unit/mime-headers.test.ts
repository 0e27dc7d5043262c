import { simpleParser } from 'mailparser'
import { describe, expect, it } from 'vitest'
import { buildMime } from '../../src/mail/mime'

const email = (subject: string) => ({
  from: 'Course <course@example.org>',
  to: 'reader@example.org',
  subject,
  html: '<p>Hello</p>',
  text: 'Hello',
  headers: {},
  tags: [],
})

async function subjectLine(subject: string) {
  const raw = await buildMime(email(subject), { date: new Date('2027-01-04T09:00:00Z') })
  const head = raw.toString('latin1').split('\r\n\r\n')[0]!
  const unfolded = head.replace(/\r\n[ \t]/g, ' ')
  return {
    raw: unfolded.split('\r\n').find((line) => line.startsWith('Subject: '))!,
    longest: Math.max(...head.split('\r\n').map((line) => line.length)),
    parsed: (await simpleParser(raw)).subject,
  }
}

describe('header words too long to fold', () => {
  it('keeps an ASCII subject as it is while its longest word is under 900 characters', async () => {
    const subject = `Lesson ${'a'.repeat(899)} end`
    const line = await subjectLine(subject)
    expect(line.raw).toBe(`Subject: ${subject}`)
    expect(line.longest).toBeLessThanOrEqual(998)
    expect(line.parsed).toBe(subject)
  })

  it('encodes a subject with a word of 900 characters or more, so no line passes 998', async () => {
    const subject = `Lesson ${'b'.repeat(1200)} end`
    const line = await subjectLine(subject)
    expect(line.raw).toMatch(/^Subject: =\?UTF-8\?B\?/)
    expect(line.longest).toBeLessThanOrEqual(998)
    expect(line.parsed).toBe(subject)
  })
})
