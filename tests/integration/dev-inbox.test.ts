import { readdirSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createResendMailer } from '../../src/mail/resend-mailer'
import { createHarness, type Harness } from '../helpers/harness'
import { MAIN_COURSE, postForm, subscribeAndConfirm } from '../helpers/web'

describe('the local inbox', () => {
  let h: Harness
  afterEach(async () => {
    await h.close()
  })

  it('lists outbox messages newest first and shows each as HTML (sandboxed), text and headers', async () => {
    h = await createHarness({ engine: 'pglite' })
    await postForm(h, '/subscribe', { email: 'inbox@example.org', name: 'Ina', course: MAIN_COURSE })
    await h.services.sender.whenIdle()
    const list = await (await h.services.web.request('/dev/inbox')).text()
    const match = /href="\/dev\/inbox\/([^"]+)">(Confirm[^<]*)</.exec(list)
    expect(match).not.toBeNull()
    const id = match![1]!
    const page = await (await h.services.web.request(`/dev/inbox/${id}`)).text()
    // Scripts never run in the frame (no allow-scripts, and the frame's CSP); same-origin lets the
    // page size the frame to the email.
    expect(page).toMatch(
      /<iframe class="mail w600"[^>]* sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" src="\/dev\/inbox\/[^"]+\/html">/,
    )
    expect(page).toContain('<span class="tag">confirmation</span>avoiding-smp-regrets · to inbox@example.org')
    const phone = await (await h.services.web.request(`/dev/inbox/${id}?width=phone`)).text()
    expect(phone).toContain('<iframe class="mail w375"')
    expect(phone).toContain('<strong>phone (375 px)</strong>')
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

  it('shows each message’s kind and course in the list, says when mail arrived, and can be emptied', async () => {
    h = await createHarness({ engine: 'pglite' })
    const state = async () => (await h.services.web.request('/dev/inbox/state')).text()
    const empty = await state()
    await subscribeAndConfirm(h, 'kinds@example.org', { name: 'Kit' })
    const list = await (await h.services.web.request('/dev/inbox')).text()
    expect(list).toContain(
      '<span class="tag">lesson</span>avoiding-smp-regrets/welcome · to kinds@example.org',
    )
    expect(list).toContain('<span class="tag">confirmation</span>avoiding-smp-regrets · to kinds@example.org')
    // The page's script reloads it when the state it was drawn from changes.
    const drawn = /data-inbox-state="([^"]+)"/.exec(list)![1]!
    expect(drawn).toBe(await state())
    expect(drawn).not.toBe(empty)
    expect(list).toMatch(/<script src="\/assets\/dev\.[0-9a-f]{10}\.js" defer><\/script>/)

    // Emptying is a form post from the page itself; another site cannot do it.
    const forged = await h.services.web.request('/dev/inbox/empty', {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(forged.status).toBe(403)
    expect(readdirSync(path.join(h.config.outboxDir, 'new'))).toHaveLength(2)
    const emptied = await h.services.web.request('/dev/inbox/empty', {
      method: 'POST',
      headers: { origin: 'https://course.example.org', 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(emptied.status).toBe(303)
    expect(readdirSync(path.join(h.config.outboxDir, 'new'))).toHaveLength(0)
    expect(await state()).toBe(empty)
    expect(await (await h.services.web.request('/dev/inbox')).text()).toContain('No messages yet.')
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
