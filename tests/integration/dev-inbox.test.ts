import { readdirSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createResendMailer } from '../../src/mail/resend-mailer'
import { createHarness, type Harness } from '../helpers/harness'
import { postForm, subscribeAndConfirm } from '../helpers/web'

describe('the local inbox', () => {
  let h: Harness
  afterEach(async () => {
    await h.close()
  })

  it('lists outbox messages newest first and shows each as HTML (sandboxed), text and headers', async () => {
    h = await createHarness({ engine: 'pglite' })
    await postForm(h, '/subscribe', { email: 'inbox@example.org', name: 'Ina' })
    await h.services.sender.whenIdle()
    const list = await (await h.services.web.request('/dev/inbox')).text()
    const match = /href="\/dev\/inbox\/([^"]+)">(Confirm[^<]*)</.exec(list)
    expect(match).not.toBeNull()
    const id = match![1]!
    const page = await (await h.services.web.request(`/dev/inbox/${id}`)).text()
    expect(page).toMatch(
      /<iframe class="mail"[^>]* sandbox="allow-popups allow-popups-to-escape-sandbox" src="\/dev\/inbox\/[^"]+\/html">/,
    )
    const html = await h.services.web.request(`/dev/inbox/${id}/html`)
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'")
    const body = await html.text()
    expect(body).toContain('Confirm my subscription')
    // Links leave the sandboxed frame for a tab of their own, as in a mail app.
    expect(body).toMatch(/<head[^>]*><base target="_blank">/)
    expect(await (await h.services.web.request(`/dev/inbox/${id}?view=text`)).text()).toContain('Hi Ina,')
    const headers = await (await h.services.web.request(`/dev/inbox/${id}?view=headers`)).text()
    expect(headers).toContain('Message-ID:')
    expect(headers).toContain('Content-Type: multipart/alternative')
    expect((await h.services.web.request('/dev/inbox/..%2F..%2Fetc%2Fpasswd')).status).toBe(404)
  })

  it('keeps each message as a .eml file in new/ and lists the newest first', async () => {
    h = await createHarness({ engine: 'pglite' })
    await subscribeAndConfirm(h, 'order@example.org', { name: 'Ode' })
    const files = readdirSync(path.join(h.config.outboxDir, 'new'))
    expect(files).toHaveLength(2)
    for (const file of files) expect(file).toMatch(/^[0-9a-f]{32}\.eml$/)
    const list = await (await h.services.web.request('/dev/inbox')).text()
    const subjects = [...list.matchAll(/href="\/dev\/inbox\/[^"]+">([^<]*)</g)].map((m) => m[1])
    // Lesson day 0 went out after the confirmation: it comes first.
    expect(subjects).toHaveLength(2)
    expect(subjects[0]).not.toContain('Confirm')
    expect(subjects[1]).toContain('Confirm')
  })

  it('does not exist in production, nor when mail goes to the provider', async () => {
    h = await createHarness({
      engine: 'pglite',
      env: {
        NODE_ENV: 'production',
        BASE_URL: 'https://course.example.org',
        ALLOW_OUTBOX_IN_PRODUCTION: 'true',
      },
    })
    expect((await h.services.web.request('/dev/inbox')).status).toBe(404)
  })

  it('does not exist in development when mail goes to Resend', async () => {
    h = await createHarness({
      engine: 'pglite',
      env: { RESEND_API_KEY: 're_test' },
      mailer: () => createResendMailer({ apiKey: 're_test', baseUrl: 'http://127.0.0.1:9' }),
    })
    expect(h.config.env).not.toBe('production')
    expect((await h.services.web.request('/dev/inbox')).status).toBe(404)
  })
})
