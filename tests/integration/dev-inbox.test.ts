import { afterEach, describe, expect, it } from 'vitest'
import { createHarness, type Harness } from '../helpers/harness'
import { postForm } from '../helpers/web'

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
    expect(await html.text()).toContain('Confirm my subscription')
    expect(await (await h.services.web.request(`/dev/inbox/${id}?view=text`)).text()).toContain('Hi Ina,')
    const headers = await (await h.services.web.request(`/dev/inbox/${id}?view=headers`)).text()
    expect(headers).toContain('Message-ID:')
    expect(headers).toContain('Content-Type: multipart/alternative')
    expect((await h.services.web.request('/dev/inbox/..%2F..%2Fetc%2Fpasswd')).status).toBe(404)
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
})
