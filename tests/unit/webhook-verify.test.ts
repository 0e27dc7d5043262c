import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { checkWebhookSecret, createWebhookVerifier } from '../../src/webhooks/verify'

const SECRET = `whsec_${randomBytes(24).toString('base64')}`
const OTHER_SECRET = `whsec_${randomBytes(24).toString('base64')}`

/** Headers as Resend sends them, signed by the reference Standard Webhooks library. */
function sign(body: string, options: { secret?: string; id?: string; at?: Date } = {}) {
  const id = options.id ?? `msg_${randomBytes(8).toString('hex')}`
  const at = options.at ?? new Date()
  return {
    id,
    timestamp: String(Math.floor(at.getTime() / 1000)),
    signature: new Webhook(options.secret ?? SECRET).sign(id, at, body),
  }
}

const body = JSON.stringify({
  type: 'email.delivered',
  created_at: '2027-01-04T09:00:00.000Z',
  data: { email_id: 'e-1', to: ['reader@example.org'] },
})

describe('webhook signature verification', () => {
  const verifier = createWebhookVerifier(SECRET)

  it('accepts a genuine signature and returns the parsed payload', () => {
    const result = verifier.verify(body, sign(body))
    expect(result).toEqual({ ok: true, payload: JSON.parse(body) })
  })

  it('accepts a header carrying several signatures when one matches (secret rotation)', () => {
    const headers = sign(body)
    const stale = sign(body, { secret: OTHER_SECRET, id: headers.id })
    const result = verifier.verify(body, { ...headers, signature: `${stale.signature} ${headers.signature}` })
    expect(result.ok).toBe(true)
  })

  it('refuses a tampered body', () => {
    const headers = sign(body)
    const tampered = body.replace('email.delivered', 'email.complained')
    expect(verifier.verify(tampered, headers)).toMatchObject({ ok: false, reason: 'signature' })
  })

  it('refuses whitespace changes: the signature covers the exact bytes', () => {
    const headers = sign(body)
    const reformatted = JSON.stringify(JSON.parse(body), null, 2)
    expect(verifier.verify(reformatted, headers)).toMatchObject({ ok: false, reason: 'signature' })
  })

  it('refuses a signature made with another secret', () => {
    expect(verifier.verify(body, sign(body, { secret: OTHER_SECRET }))).toMatchObject({
      ok: false,
      reason: 'signature',
    })
  })

  it('refuses a changed message id (the id is part of what is signed)', () => {
    const headers = sign(body)
    expect(verifier.verify(body, { ...headers, id: 'msg_other' })).toMatchObject({ ok: false })
  })

  it('refuses timestamps more than five minutes old or ahead', () => {
    const old = sign(body, { at: new Date(Date.now() - 6 * 60 * 1000) })
    const ahead = sign(body, { at: new Date(Date.now() + 6 * 60 * 1000) })
    expect(verifier.verify(body, old)).toMatchObject({ ok: false, reason: 'signature' })
    expect(verifier.verify(body, ahead)).toMatchObject({ ok: false, reason: 'signature' })
    // Within the tolerance is fine (delivery takes a moment).
    expect(verifier.verify(body, sign(body, { at: new Date(Date.now() - 60 * 1000) })).ok).toBe(true)
  })

  it('refuses missing headers without calling the library', () => {
    const headers = sign(body)
    expect(verifier.verify(body, { ...headers, signature: undefined })).toEqual({
      ok: false,
      reason: 'signature',
      message: 'missing signature headers',
    })
    expect(verifier.verify(body, { ...headers, timestamp: '' })).toMatchObject({ ok: false })
  })

  it('refuses a non-numeric timestamp', () => {
    const headers = sign(body)
    expect(verifier.verify(body, { ...headers, timestamp: 'yesterday' })).toMatchObject({
      ok: false,
      reason: 'signature',
    })
  })

  it('tells a genuine body that is not JSON apart from a bad signature', () => {
    const notJson = '{"type": "email.delivered",'
    expect(verifier.verify(notJson, sign(notJson))).toMatchObject({ ok: false, reason: 'malformed' })
    expect(verifier.verify(notJson, sign(notJson, { secret: OTHER_SECRET }))).toMatchObject({
      ok: false,
      reason: 'signature',
    })
  })
})

describe('checkWebhookSecret', () => {
  it('accepts a Resend signing secret, with or without the whsec_ prefix', () => {
    expect(checkWebhookSecret(SECRET)).toBeNull()
    expect(checkWebhookSecret(SECRET.slice('whsec_'.length))).toBeNull()
  })

  it('reports a missing or unusable secret', () => {
    expect(checkWebhookSecret(undefined)).toBe('missing')
    expect(checkWebhookSecret('')).toBe('missing')
    expect(checkWebhookSecret('whsec_')).toBe('invalid')
    expect(checkWebhookSecret('not a secret!')).toBe('invalid')
  })
})
