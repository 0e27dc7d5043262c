import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../src/lib/logger'
import { createResendMailer } from '../../src/mail/resend-mailer'
import { type FakeResend, startFakeResend } from '../helpers/fake-resend'
import { createHarness, type Harness } from '../helpers/harness'
import { confirmFieldsIn, MAIN_COURSE, postForm, subscribeAndConfirm } from '../helpers/web'

const SECRET = `whsec_${randomBytes(24).toString('base64')}`

describe('logs', () => {
  let fake: FakeResend
  let h: Harness
  const lines: string[] = []
  beforeAll(async () => {
    fake = await startFakeResend()
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean))
        done()
      },
    })
    h = await createHarness({
      engine: 'pglite',
      env: { RESEND_WEBHOOK_SECRET: SECRET },
      logger: createLogger({ env: 'production', level: 'info', destination: sink }),
      mailer: () => createResendMailer({ apiKey: 're_secret_key_value', baseUrl: fake.url }),
    })
  })
  afterAll(async () => {
    await h.close()
    await fake.close()
  })

  it('record every send, retry, claim, unsubscribe and webhook as JSON with ids, never with tokens or addresses', async () => {
    fake.inject({ fault: { type: 'status', status: 500 }, times: 1 })
    await postForm(h, '/subscribe', { email: 'logreader@example.org', name: 'Logan', course: MAIN_COURSE })
    await h.services.sender.whenIdle()
    h.clock.advance(60 * 60 * 1000)
    await h.tick() // the confirmation, retried
    const confirmation = fake.sent.find((e) => e.subject.includes('Confirm'))!
    const fields = confirmFieldsIn(confirmation.html!)
    const token = encodeURIComponent(fields.token!)
    await postForm(h, '/confirm', fields)
    await h.services.sender.whenIdle()
    const lesson = fake.sent.find((e) => e.tags.some((t) => t.name === 'lesson'))!
    await subscribeAndConfirm(h, 'second@example.org').catch(() => undefined) // its mail goes to the fake, not the outbox
    // A bounce report from the provider, then a one-click unsubscribe.
    const body = JSON.stringify({
      type: 'email.bounced',
      created_at: h.clock.now().toISOString(),
      data: {
        email_id: lesson.id,
        to: ['logreader@example.org'],
        bounce: { type: 'Transient', message: 'mailbox full' },
      },
    })
    const msgId = `msg_${randomBytes(8).toString('hex')}`
    const now = new Date()
    const hook = await h.services.web.request('/webhooks/resend', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'svix-id': msgId,
        'svix-timestamp': String(Math.floor(now.getTime() / 1000)),
        'svix-signature': new Webhook(SECRET).sign(msgId, now, body),
      },
      body,
    })
    expect(hook.status).toBe(200)
    await h.services.webhooks.whenIdle()
    // One click on the lesson's List-Unsubscribe leaves the course; on the confirmation's, all mail.
    for (const email of [lesson, confirmation]) {
      const unsubscribeUrl = /<(https:[^>]+)>/.exec(email.headers['List-Unsubscribe']!)![1]!
      await h.services.web.request(new URL(unsubscribeUrl).pathname + new URL(unsubscribeUrl).search, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      })
    }

    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    const messages = records.map((r) => r.msg)
    for (const expected of [
      'signup: new subscriber',
      'claimed batch',
      'send failed; will retry with the same idempotency key',
      'sent',
      'subscription confirmed',
      'course changed by its reader',
      'unsubscribed',
      'webhook received',
    ]) {
      expect(messages, expected).toContain(expected)
    }
    expect(records.find((r) => r.msg === 'sent')).toMatchObject({
      kind: 'confirmation',
      deliveryId: expect.any(Number),
      subscriberId: expect.any(Number),
      providerId: expect.any(String),
    })
    const all = lines.join('\n')
    expect(all).not.toContain('logreader@example.org')
    expect(all).not.toContain('second@example.org')
    expect(all).not.toContain(decodeURIComponent(token))
    expect(all).not.toMatch(/\d+\.[0-9a-z]+\.[A-Za-z0-9_-]{43}/) // no token of any kind
    expect(all).not.toContain('re_secret_key_value')
    expect(all).not.toContain(h.config.secret)
  })
})
