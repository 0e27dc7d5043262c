import { describe, expect, it } from 'vitest'
import { HANDLED_EVENT_TYPES, parseEmailEvent, readTags } from '../../src/webhooks/events'

const base = (type: string, data: Record<string, unknown> = {}) => ({
  type,
  created_at: '2027-01-04T09:30:00.000Z',
  data: {
    email_id: '4ef9a417-02e9-4d39-ad75-9611e0fcc33c',
    to: ['reader@example.org'],
    tags: { kind: 'lesson', lesson: 'welcome', subscriber: '7', delivery: '42' },
    ...data,
  },
})

describe('parseEmailEvent', () => {
  it('reads the fields every email event has', () => {
    const parsed = parseEmailEvent(base('email.delivered'))
    expect(parsed).toEqual({
      kind: 'event',
      event: {
        type: 'email.delivered',
        occurredAt: new Date('2027-01-04T09:30:00.000Z'),
        emailId: '4ef9a417-02e9-4d39-ad75-9611e0fcc33c',
        to: ['reader@example.org'],
        tags: { kind: 'lesson', lesson: 'welcome', subscriber: '7', delivery: '42' },
        link: null,
        bounce: null,
        detail: null,
      },
    })
  })

  it('accepts every handled type', () => {
    for (const type of HANDLED_EVENT_TYPES) expect(parseEmailEvent(base(type)).kind).toBe('event')
  })

  it('reads the clicked link', () => {
    const parsed = parseEmailEvent(
      base('email.clicked', { click: { link: 'https://example.org/a?b=1', ipAddress: '1.2.3.4' } }),
    )
    expect(parsed.kind === 'event' && parsed.event.link).toBe('https://example.org/a?b=1')
  })

  it('treats only an explicit transient bounce as soft', () => {
    const bounce = (type: unknown) =>
      parseEmailEvent(
        base('email.bounced', {
          bounce: { type, subType: 'General', message: 'mailbox unavailable' },
        }),
      )
    const hard = bounce('Permanent')
    expect(hard.kind === 'event' && hard.event.bounce).toBe('hard')
    expect(hard.kind === 'event' && hard.event.detail).toBe('Permanent: General: mailbox unavailable')
    const soft = bounce('Transient')
    expect(soft.kind === 'event' && soft.event.bounce).toBe('soft')
    const undetermined = bounce('Undetermined')
    expect(undetermined.kind === 'event' && undetermined.event.bounce).toBe('hard')
    const missing = parseEmailEvent(base('email.bounced'))
    expect(missing.kind === 'event' && missing.event.bounce).toBe('hard')
  })

  it('keeps the reason of failed and suppressed emails', () => {
    const failed = parseEmailEvent(base('email.failed', { failed: { reason: 'reached_daily_quota' } }))
    expect(failed.kind === 'event' && failed.event.detail).toBe('reached_daily_quota')
    const suppressed = parseEmailEvent(
      base('email.suppressed', {
        suppressed: { type: 'OnAccountSuppressionList', message: 'bounced before' },
      }),
    )
    expect(suppressed.kind === 'event' && suppressed.event.detail).toBe(
      'OnAccountSuppressionList: bounced before',
    )
  })

  it('ignores types it does not handle', () => {
    expect(parseEmailEvent(base('email.sent'))).toEqual({ kind: 'ignored', type: 'email.sent' })
    expect(parseEmailEvent({ type: 'contact.created', data: {} })).toEqual({
      kind: 'ignored',
      type: 'contact.created',
    })
  })

  it('calls anything without a type malformed, never throws', () => {
    for (const payload of [null, 42, 'email.delivered', [], {}, { type: 7 }, { type: '' }])
      expect(parseEmailEvent(payload).kind).toBe('malformed')
  })

  it('survives odd shapes inside data', () => {
    const parsed = parseEmailEvent({
      type: 'email.opened',
      created_at: 'not a date',
      data: { to: 'x', tags: 5 },
    })
    expect(parsed).toMatchObject({
      kind: 'event',
      event: { occurredAt: null, emailId: null, to: [], tags: {} },
    })
  })

  it('drops NUL characters, which PostgreSQL text cannot hold', () => {
    const parsed = parseEmailEvent(base('email.clicked', { click: { link: 'https://a.example/\u0000x' } }))
    expect(parsed.kind === 'event' && parsed.event.link).toBe('https://a.example/x')
  })
})

describe('readTags', () => {
  it('reads tags as an object (webhook payloads)', () => {
    expect(readTags({ kind: 'newsletter', newsletter: 'issue-1', extra: 3 })).toEqual({
      kind: 'newsletter',
      newsletter: 'issue-1',
    })
  })

  it('reads tags as a list of name/value pairs (the send API shape)', () => {
    expect(
      readTags([
        { name: 'kind', value: 'lesson' },
        { name: 'delivery', value: '9' },
        { name: 'broken' },
        'junk',
      ]),
    ).toEqual({ kind: 'lesson', delivery: '9' })
  })

  it('reads nothing from anything else', () => {
    expect(readTags(undefined)).toEqual({})
    expect(readTags('kind=lesson')).toEqual({})
  })
})
