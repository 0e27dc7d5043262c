import { afterEach, describe, expect, it } from 'vitest'
import { runCourseOn } from '../helpers/cli'
import { createHarness, type Harness } from '../helpers/harness'
import { postForm } from '../helpers/web'
import { startReceiver } from '../helpers/webhook-receiver'

describe('course keys and course webhooks', () => {
  let h: Harness
  let receiver: Awaited<ReturnType<typeof startReceiver>> | null = null
  afterEach(async () => {
    await receiver?.close()
    receiver = null
    await h.close()
  })

  it('creates a key printed once, lists it without the secret, and revokes it', async () => {
    h = await createHarness({ engine: 'pglite' })
    const made = await runCourseOn(h, [
      'keys',
      'create',
      '--name',
      'shop',
      '--scopes',
      'subscribers:write,stats:read',
    ])
    expect(made.code).toBe(0)
    const key = made.out.trim()
    expect(key).toMatch(/^ck_[0-9a-f]{8}_[A-Za-z0-9_-]{32}$/)
    expect(made.err).toContain('shown once')
    const stored = await h.db.query<{ key_hash: string }>('select key_hash from api_keys')
    expect(JSON.stringify(stored.rows)).not.toContain(key.split('_')[2])
    const ok = await h.services.web.request('/api/v1/courses', {
      headers: { authorization: `Bearer ${key}` },
    })
    expect(ok.status).toBe(200)
    const list = await runCourseOn(h, ['keys', 'list'])
    const prefix = key.split('_').slice(0, 2).join('_')
    expect(list.out).toContain(prefix)
    expect(list.out).toContain('subscribers:write,stats:read')
    expect(list.out).not.toContain(key)
    expect((await runCourseOn(h, ['keys', 'revoke', prefix])).code).toBe(0)
    const after = await h.services.web.request('/api/v1/courses', {
      headers: { authorization: `Bearer ${key}` },
    })
    expect(after.status).toBe(401)
    expect((await runCourseOn(h, ['keys', 'revoke', prefix])).code).toBe(1)
    const json = JSON.parse((await runCourseOn(h, ['keys', 'list', '--json'])).out)
    expect(json[0]).toMatchObject({ name: 'shop', revoked_at: expect.any(String) })
    expect(json[0].key_hash).toBeUndefined()
  })

  it('refuses bad key options with the usage', async () => {
    h = await createHarness({ engine: 'pglite' })
    const noName = await runCourseOn(h, ['keys', 'create', '--scopes', 'stats:read'])
    expect(noName.code).toBe(2)
    expect(noName.err).toContain('--name')
    const badScope = await runCourseOn(h, [
      'keys',
      'create',
      '--name',
      'x',
      '--scopes',
      'stats:read,everything',
    ])
    expect(badScope.code).toBe(2)
    expect(badScope.err).toContain('unknown scope "everything"')
    expect((await h.db.query('select 1 from api_keys')).rows).toEqual([])
  })

  it('adds an endpoint with its secret, tests it, shows its log, replays, disables and removes it', async () => {
    h = await createHarness({ engine: 'pglite' })
    let secret = ''
    receiver = await startReceiver(() => secret)
    const added = await runCourseOn(h, ['webhooks', 'add', receiver.url, '--events', 'subscriber.created'])
    expect(added.code).toBe(0)
    secret = added.out.trim()
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/)
    const test = await runCourseOn(h, ['webhooks', 'test', '1'])
    expect(test.code).toBe(0)
    expect(test.out).toContain('answered 200')
    expect(receiver.received).toMatchObject([{ type: 'webhook.test', verified: true }])
    await postForm(h, '/subscribe', { email: 'cli@example.org', course: 'avoiding-smp-regrets' })
    await h.services.events.runOnce()
    expect(receiver.received.map((r) => r.type)).toEqual(['webhook.test', 'subscriber.created'])
    const list = await runCourseOn(h, ['webhooks', 'list'])
    expect(list.out).toMatch(/1\s+http:\/\/127\.0\.0\.1:\d+\/hooks\s+subscriber\.created\s+on\s+0\s+2\s+0/)
    expect(list.out).not.toContain(secret)
    const log = await runCourseOn(h, ['webhooks', 'log', '1'])
    const eventId = receiver.received[1]!.id
    expect(log.out).toContain(eventId)
    expect(log.out).toContain('succeeded')
    const replay = await runCourseOn(h, ['webhooks', 'replay', eventId])
    expect(replay.code).toBe(0)
    await h.services.events.runOnce()
    expect(receiver.received.map((r) => r.id).filter((id) => id === eventId)).toHaveLength(2)
    expect((await runCourseOn(h, ['webhooks', 'replay', 'evt_nothing'])).code).toBe(1)
    expect((await runCourseOn(h, ['webhooks', 'disable', '1'])).code).toBe(0)
    expect((await runCourseOn(h, ['webhooks', 'list'])).out).toContain('DISABLED')
    expect((await runCourseOn(h, ['webhooks', 'enable', '1'])).code).toBe(0)
    receiver.answerWith(() => 500)
    const failing = await runCourseOn(h, ['webhooks', 'test', '1'])
    expect(failing.code).toBe(1)
    expect(failing.err).toContain('answered 500')
    expect((await runCourseOn(h, ['webhooks', 'remove', '1'])).code).toBe(0)
    expect((await runCourseOn(h, ['webhooks', 'list'])).out).toContain('no webhook endpoints')
  })

  it('refuses URLs that are not http(s), unknown events, and internal targets where they are not allowed', async () => {
    h = await createHarness({ engine: 'pglite', env: { WEBHOOKS_ALLOW_INTERNAL: 'false' } })
    const scheme = await runCourseOn(h, ['webhooks', 'add', 'ftp://example.org/x'])
    expect(scheme.code).toBe(2)
    expect(scheme.err).toContain('only http and https')
    const event = await runCourseOn(h, [
      'webhooks',
      'add',
      'https://example.org/x',
      '--events',
      'email.opened',
    ])
    expect(event.err).toContain('unknown event "email.opened"')
    const internal = await runCourseOn(h, ['webhooks', 'add', 'http://127.0.0.1:8080/hook'])
    expect(internal.code).toBe(1)
    expect(internal.err).toContain('internal address')
    expect((await h.db.query('select 1 from webhook_endpoints')).rows).toEqual([])
  })
})
