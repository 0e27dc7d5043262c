import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FIXTURES } from '../helpers/harness'
import { freePort, runCliProcess, spawnTs, waitForHttp } from '../helpers/process'

/** A stack trace line: what a person should never have to read for an expected problem. */
const STACK = /\n\s+at /

describe('expected problems at start and on the way are one clear line', () => {
  let dir: string
  let env: Record<string, string>
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'course-startup-'))
    const port = await freePort()
    env = {
      DATA_DIR: path.join(dir, 'data'),
      OUTBOX_DIR: path.join(dir, 'outbox'),
      LESSONS_DIR: path.join(FIXTURES, 'lessons-short'),
      NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short'),
      PORT: String(port),
      BASE_URL: `http://127.0.0.1:${port}`,
      TICK_CRON: '0 0 1 1 *',
      LOG_LEVEL: 'warn',
    }
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('npm start with an unreachable DATABASE_URL names the database and exits 1', async () => {
    const port = await freePort() // nothing listens there
    const server = spawnTs('src/main.ts', [], {
      ...env,
      DATABASE_URL: `postgres://course:secret-password@127.0.0.1:${port}/course`,
    })
    expect(await server.exited).toBe(1)
    const output = server.output()
    expect(output).not.toMatch(STACK)
    expect(output).toContain(`Cannot open the database (PostgreSQL at 127.0.0.1:${port}/course)`)
    expect(output).toContain('ECONNREFUSED')
    expect(output).not.toContain('secret-password')
  })

  it('npm start on a port already in use says so and exits 1', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(Number(env.PORT), '127.0.0.1', resolve))
    try {
      const server = spawnTs('src/main.ts', [], env)
      expect(await server.exited).toBe(1)
      expect(server.output()).not.toMatch(STACK)
      expect(server.output()).toContain(`Port ${env.PORT} on 127.0.0.1 is already in use`)
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  })

  it('a CLI command whose server goes away ends with one line saying how far it got', async () => {
    const csv = path.join(dir, 'people.csv')
    const rows = ['email,name,timezone,confirmed_at,consent_source']
    for (let i = 0; i < 200_000; i++) rows.push(`gone${i}@example.org,Name ${i},UTC,,`)
    writeFileSync(csv, `${rows.join('\n')}\n`)
    const server = spawnTs('src/main.ts', [], env)
    try {
      await waitForHttp(`${env.BASE_URL}/healthz`)
      const importing = spawnTs('src/cli.ts', ['subscribers', 'import', csv], env)
      // Once the import is under way through the server's socket (it takes seconds), the server dies.
      await importing.waitFor(/importing: \d+/)
      server.child.kill('SIGKILL')
      const code = await importing.exited
      const output = importing.output()
      expect(code, output).toBe(1)
      expect(output).not.toMatch(STACK)
      expect(output).toMatch(
        /course subscribers: import stopped at line \d+ \(the database connection was lost or refused: .*\); the lines before it were imported\. Is the database .* still running\?/,
      )
    } finally {
      server.child.kill('SIGKILL')
      await server.exited
    }
  })

  it('a CLI command without a database to reach says so in one line', async () => {
    const { code, output } = await runCliProcess(['status'], {
      ...env,
      DATABASE_URL: `postgres://u@127.0.0.1:${await freePort()}/x`,
    })
    expect(code).toBe(1)
    expect(output).not.toMatch(STACK)
    expect(output).toMatch(/^course status: the database connection was lost or refused: .*ECONNREFUSED/m)
  })
})
