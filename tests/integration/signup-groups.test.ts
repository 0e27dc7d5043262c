import { execFile } from 'node:child_process'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db, Queryable } from '../../src/db/db'
import { subscribe } from '../../src/subscribers/signup'
import { serveApp } from '../helpers/browser'
import { ENGINES } from '../helpers/db'
import { createHarness, type Harness } from '../helpers/harness'
import { MAIN_COURSE, postJson } from '../helpers/web'

/**
 * Signs these addresses up from a process of its own, as a crowd of browsers would: one kept-alive
 * connection each, already open and used once (a page load), then every signup written at once.
 * Resolves with each signup's status code.
 */
function burstClient(port: string, emails: readonly string[]): Promise<number[]> {
  const script = `const http = require('node:http')
const [port, ...emails] = process.argv.slice(1)
const agent = new http.Agent({ keepAlive: true, maxSockets: emails.length })
const send = (method, path, body) => new Promise((done, fail) => {
  const request = http.request({ host: '127.0.0.1', port, method, path, agent,
    headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} },
    (response) => { response.resume(); response.on('end', () => done(response.statusCode)) })
  request.on('error', fail)
  request.end(body)
})
Promise.all(emails.map(() => send('GET', '/subscribe/thanks')))
  .then(() => Promise.all(emails.map((email) =>
    send('POST', '/subscribe', JSON.stringify({ email, course: ${JSON.stringify(MAIN_COURSE)} })))))
  .then((statuses) => { agent.destroy(); process.stdout.write(JSON.stringify(statuses)) })`
  return new Promise((done, fail) =>
    execFile(process.execPath, ['-e', script, port, ...emails], (error, stdout) =>
      error ? fail(error) : done(JSON.parse(stdout) as number[]),
    ),
  )
}

describe.each(ENGINES)('grouped signups (%s)', (engine) => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness({ engine, env: { SUBSCRIBE_RATE_LIMIT: '100000' } })
  })
  afterEach(async () => {
    await h.close()
  })
  const n = async (sql: string, params: unknown[] = []) =>
    (await h.db.query<{ n: number }>(sql, params)).rows[0]!.n

  it('stores a burst of signups once each, with one confirmation each, all sent', async () => {
    const emails = Array.from({ length: 60 }, (_, i) => `burst${i}@example.org`)
    // The same address several times inside the burst, and one already known.
    await postJson(h, '/subscribe', { email: 'known@example.org', course: MAIN_COURSE })
    await h.services.sender.whenIdle()
    const all = [
      ...emails,
      'twice@example.org',
      'twice@example.org',
      'twice@example.org',
      'known@example.org',
    ]
    const answers = await Promise.all(
      all.map((email) => postJson(h, '/subscribe', { email, name: 'B', course: MAIN_COURSE })),
    )
    expect(answers.map((a) => a.status)).toEqual(all.map(() => 201))
    await h.services.sender.whenIdle()
    expect(await n('select count(*)::int n from subscribers')).toBe(62)
    expect(await n('select count(*)::int n from enrolments')).toBe(62)
    expect(
      await n(`select count(*)::int n from deliveries where kind = 'confirmation' and status = 'sent'`),
    ).toBe(62)
    const outbox = await h.outbox()
    expect(outbox).toHaveLength(62)
    expect(new Set(outbox.map((m) => m.to)).size).toBe(62)
    // Repeats of one address: one sent now, at most one more waiting its turn (the per-address spacing).
    for (const email of ['twice@example.org', 'known@example.org']) {
      expect(outbox.filter((m) => m.to === email)).toHaveLength(1)
      const waiting = await n(
        `select count(*)::int n from deliveries d join subscribers s on s.id = d.subscriber_id
         where s.email = $1 and d.status = 'queued'`,
        [email],
      )
      expect(waiting).toBeLessThanOrEqual(1)
    }
  })

  it('stores signups that arrive together over real connections in shared transactions', async () => {
    const server = await serveApp((request, env) => h.services.web.fetch(request, env))
    const emails = Array.from({ length: 40 }, (_, i) => `wire${i}@example.org`)
    try {
      // A client of its own, as browsers are: every connection open first, then every request
      // written at once, so the server reads them in the same turn of its event loop, as under load.
      const statuses = await burstClient(new URL(server.url).port, emails)
      expect(statuses).toEqual(emails.map(() => 201))
      await h.services.sender.whenIdle()
      expect(await n('select count(*)::int n from subscribers')).toBe(40)
      // Rows written by one transaction share its id (xmin): requests read in the same turn of the
      // event loop join one group, even on the embedded engine, which answers without yielding.
      const transactions = await n('select count(distinct xmin::text)::int n from subscribers')
      expect(transactions).toBeLessThan(20)
      expect(await h.outbox()).toHaveLength(40)
    } finally {
      await server.close()
    }
  })

  it('fails only the signup whose row fails when others are in the same group', async () => {
    // The one address's insert fails inside the group's transaction: the others are stored alone.
    const failing = (q: Queryable): Queryable =>
      ({
        query: (sql: string, params?: readonly unknown[]) =>
          sql.includes('insert into subscribers') && JSON.stringify(params ?? []).includes('bad@example.org')
            ? Promise.reject(new Error('bad row'))
            : q.query(sql, params),
        exec: (sql: string) => q.exec(sql),
      }) as Queryable
    const db: Db = { ...h.db, transaction: (fn) => h.db.transaction((tx) => fn(failing(tx))) } as Db
    const deps = { ...h.services.subscribers, db }
    const emails = ['a1@example.org', 'a2@example.org', 'bad@example.org', 'a3@example.org', 'a4@example.org']
    const results = await Promise.allSettled(
      emails.map((email) => subscribe(deps, { email, course: MAIN_COURSE }, { source: 'test', ip: null })),
    )
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ])
    await h.services.sender.whenIdle()
    expect(await n('select count(*)::int n from subscribers')).toBe(4)
    expect(await n(`select count(*)::int n from deliveries where status = 'sent'`)).toBe(4)
  })
})
