import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser'
import { afterAll, describe, expect, it } from 'vitest'
import {
  composeAll,
  hrefs,
  loadFixtureContent,
  loadQualityEmails,
  QUALITY_SENDER,
  type QualityEmail,
  SAMPLE_RECIPIENT,
  toMime,
} from '../helpers/quality-emails'

/** Gmail cuts messages whose HTML passes 102 KB ("[Message clipped]"), hiding the footer and its unsubscribe link. */
const HTML_LIMIT = 102 * 1024
/** Our own budget for the whole message: a lesson is text, far below what any provider accepts. */
const MESSAGE_LIMIT = 200 * 1024
/** RFC 5322 §2.1.1: a line is at most 998 characters, excluding the CRLF. */
const LINE_LIMIT = 998
const DATE = new Date('2027-01-04T09:00:00Z')

interface Built extends QualityEmail {
  raw: Buffer
  mail: ParsedMail
  /** Unfolded header fields of the top level, in order. */
  headers: { name: string; value: string }[]
}

function headerSection(raw: Buffer): string {
  const text = raw.toString('latin1')
  const end = text.search(/\r?\n\r?\n/)
  return end < 0 ? text : text.slice(0, end)
}

/** The top-level header fields, unfolded (RFC 5322 §2.2.3), names as written. */
function parseHeaders(raw: Buffer): { name: string; value: string }[] {
  return headerSection(raw)
    .replace(/\r?\n[ \t]/g, ' ')
    .split(/\r?\n/)
    .map((line) => {
      const colon = line.indexOf(':')
      return { name: line.slice(0, colon), value: line.slice(colon + 1).trim() }
    })
}

/** Content-Type of each child of a multipart body, in order. */
function childTypes(raw: Buffer, boundary: string): string[] {
  const body = raw.toString('latin1')
  const parts = body.split(`--${boundary}`).slice(1, -1)
  return parts.map((part) => {
    const headers = part.replace(/^\r?\n/, '').split(/\r?\n\r?\n/)[0] ?? ''
    return /^content-type:\s*([^;\r\n]+)/im.exec(headers)?.[1]?.trim().toLowerCase() ?? '(none)'
  })
}

async function build(email: QualityEmail): Promise<Built> {
  const raw = await toMime(email, DATE)
  return { ...email, raw, mail: await simpleParser(raw), headers: parseHeaders(raw) }
}

const firstAddress = (value: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(value) ? value[0] : value)?.value[0]

const messages = await Promise.all((await loadQualityEmails()).map(build))
const sizes: { name: string; html: number; total: number }[] = []

describe('message format (the .eml the outbox writes)', () => {
  afterAll(() => {
    const largest = (key: 'html' | 'total') => sizes.reduce((a, b) => (b[key] > a[key] ? b : a))
    if (sizes.length === 0) return
    const html = largest('html')
    const total = largest('total')
    process.stdout.write(
      `\nsizes: largest HTML ${(html.html / 1024).toFixed(1)} KB (${html.name}, limit 102 KB); largest message ${(total.total / 1024).toFixed(1)} KB (${total.name}, limit 200 KB)\n`,
    )
  })

  it('includes a subject outside ASCII (the fixture newsletter), so RFC 2047 encoding is exercised', () => {
    expect(messages.some((m) => /[^\x20-\x7e]/.test(m.email.subject))).toBe(true)
  })

  for (const m of messages) {
    describe(m.name, () => {
      it('has Date, Message-ID, From, To, Subject and MIME-Version once each, well formed', () => {
        for (const name of ['Date', 'Message-ID', 'From', 'To', 'Subject', 'MIME-Version']) {
          expect(
            m.headers.filter((h) => h.name.toLowerCase() === name.toLowerCase()),
            name,
          ).toHaveLength(1)
        }
        const header = (name: string) =>
          m.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value
        // RFC 5322 §3.3 date-time, e.g. "Mon, 04 Jan 2027 09:00:00 +0000".
        expect(header('Date')).toMatch(
          /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/,
        )
        expect(m.mail.date?.toISOString()).toBe(DATE.toISOString())
        // RFC 5322 §3.6.4 msg-id: "<" id-left "@" id-right ">".
        expect(header('Message-ID')).toMatch(/^<[^<>@\s]+@[^<>@\s]+>$/)
        expect(header('MIME-Version')).toBe('1.0')
        expect(firstAddress(m.mail.from)).toEqual({ address: 'course@mail.example.org', name: 'SMP Course' })
        expect(firstAddress(m.mail.to)?.address).toBe(SAMPLE_RECIPIENT.email)
        expect(m.mail.subject).toBe(m.email.subject)
      })

      it('is 7-bit ASCII with no line over 998 characters (RFC 5322 §2.1.1, §2.2)', () => {
        const wide = m.raw.findIndex((byte) => byte > 0x7f)
        expect(wide, 'first byte outside ASCII').toBe(-1)
        const long = m.raw
          .toString('latin1')
          .split(/\r?\n/)
          .filter((line) => line.length > LINE_LIMIT)
        expect(long).toEqual([])
      })

      it('encodes a subject outside ASCII as RFC 2047 encoded-words, and leaves ASCII as it is', () => {
        const raw = m.headers.find((h) => h.name.toLowerCase() === 'subject')?.value ?? ''
        if (/[^\x20-\x7e]/.test(m.email.subject)) {
          expect(raw).toMatch(/^(=\?UTF-8\?[QB]\?[^?\s]*\?=\s*)+$/i)
        } else {
          expect(raw).toBe(m.email.subject)
        }
        expect(m.mail.subject).toBe(m.email.subject)
      })

      it('is multipart/alternative: the text part first, then the HTML part, both UTF-8', () => {
        const type = m.mail.headers.get('content-type') as { value: string; params: Record<string, string> }
        expect(type.value).toBe('multipart/alternative')
        expect(childTypes(m.raw, type.params.boundary as string)).toEqual(['text/plain', 'text/html'])
        // Line ends aside (the message must use CRLF), the parts are exactly what was composed.
        const lf = (text: string | false | undefined) => (text || '').replace(/\r\n/g, '\n').trim()
        expect(lf(m.mail.html)).toBe(lf(m.email.html))
        expect(lf(m.mail.text)).toBe(lf(m.email.text))
      })

      // On every message, the confirmation included: someone whose address a stranger typed into the
      // form can stop all further mail with one click.
      it('carries one-click List-Unsubscribe (RFC 8058) naming the footer unsubscribe link', () => {
        const header = m.headers.find((h) => h.name === 'List-Unsubscribe')?.value ?? ''
        const post = m.headers.find((h) => h.name === 'List-Unsubscribe-Post')?.value
        expect(post).toBe('List-Unsubscribe=One-Click')
        const https = /<(https:\/\/[^>]+)>/.exec(header)?.[1]
        // It leaves the list the message belongs to: a lesson's or invitation's course, the newsletter,
        // or (a confirmation: on no list yet) everything.
        const list =
          m.kind === 'lesson' || m.kind === 'invitation'
            ? `&list=${m.email.tags.find((t) => t.name === 'course')?.value}`
            : m.kind === 'newsletter'
              ? '&list=newsletter'
              : ''
        expect(https).toMatch(
          new RegExp(`^https://course\\.example\\.org/unsubscribe\\?token=[\\w.-]+${list}$`),
        )
        expect(hrefs(m.email.html)).toContain(https)
        expect(m.email.text).toContain(https)
      })

      it('fits: HTML under 102 KB (Gmail clipping), the whole message under 200 KB', () => {
        const html = Buffer.byteLength(typeof m.mail.html === 'string' ? m.mail.html : '')
        sizes.push({ name: m.name, html, total: m.raw.length })
        expect(html).toBeGreaterThan(0)
        expect(html).toBeLessThan(HTML_LIMIT)
        expect(m.raw.length).toBeLessThan(MESSAGE_LIMIT)
      })

      it('gives every image alt text and an absolute https URL', () => {
        for (const tag of m.email.html.match(/<img\b[^>]*>/gi) ?? []) {
          expect(tag, 'alt text').toMatch(/\salt="[^"]*\S[^"]*"/)
          const src = /\ssrc="([^"]*)"/.exec(tag)?.[1] ?? ''
          expect(new URL(src.replaceAll('&amp;', '&')).protocol, src).toBe('https:')
        }
      })
    })
  }

  it('checks images for real: the fixture newsletter has one', () => {
    const fixture = messages.find((m) => m.fixture)
    expect(fixture?.email.html).toMatch(/<img\b[^>]*\salt="A close-up[^"]*"[^>]*>/)
  })

  it('ends every line with CRLF, as RFC 5322 §2.1 requires (no bare LF)', () => {
    const bare = messages
      .map((m) => ({ name: m.name, bareLf: (m.raw.toString('latin1').match(/(?<!\r)\n/g) ?? []).length }))
      .filter((m) => m.bareLf > 0)
    expect(bare, 'messages with lines ending in a bare LF').toEqual([])
  })

  it('encodes a sender name outside ASCII too (RFC 2047 in From)', async () => {
    const content = await loadFixtureContent()
    const [email] = composeAll(content, {
      settings: { ...QUALITY_SENDER, from: 'Zoë’s SMP Café <course@mail.example.org>' },
      only: ['newsletter'],
      confirmation: false,
    })
    const built = await build(email as QualityEmail)
    const from = built.headers.find((h) => h.name === 'From')?.value ?? ''
    expect(from).toMatch(/^=\?UTF-8\?[QB]\?.+\?= <course@mail\.example\.org>$/i)
    expect(firstAddress(built.mail.from)).toEqual({
      address: 'course@mail.example.org',
      name: 'Zoë’s SMP Café',
    })
  })
})
