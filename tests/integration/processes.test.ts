import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config'
import { acquireDataDirLock } from '../../src/db/data-dir-lock'
import { openDatabase } from '../../src/db/open'
import { silentLogger } from '../../src/lib/logger'
import { freePort, runCliProcess, spawnTs, waitForHttp } from '../helpers/process'
import { MAIN_COURSE } from '../helpers/web'

describe('one embedded database, several processes', () => {
  let dir: string
  let env: Record<string, string>
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'course-proc-'))
    const port = await freePort()
    env = {
      DATA_DIR: path.join(dir, 'data'),
      OUTBOX_DIR: path.join(dir, 'outbox'),
      PORT: String(port),
      BASE_URL: `http://127.0.0.1:${port}`,
      TICK_CRON: '0 0 1 1 *',
      SUBSCRIBE_RATE_LIMIT: '1000',
    }
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('gives a second process a clear error naming the holder, quickly, instead of hanging', async () => {
    const lock = acquireDataDirLock(env.DATA_DIR!, 'test-holder')
    expect(lock.acquired).toBe(true)
    try {
      const started = Date.now()
      const { code, output } = await runCliProcess(['status'], env)
      expect(code).toBe(1)
      expect(output).toContain(`is in use by process ${process.pid}`)
      expect(output).toContain('test-holder')
      expect(Date.now() - started).toBeLessThan(30_000)
    } finally {
      if (lock.acquired) lock.release()
    }
  })

  it('lets CLI commands work through the running server, and loses no committed signup to kill -9', async () => {
    const server = spawnTs('src/main.ts', [], env)
    try {
      await waitForHttp(`${env.BASE_URL}/healthz`)
      for (let i = 0; i < 20; i++) {
        const response = await fetch(`${env.BASE_URL}/subscribe`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `email=kill${i}%40example.org&course=${MAIN_COURSE}`,
          redirect: 'manual',
        })
        expect(response.status).toBe(303)
      }
      // A CLI command while the server holds the database: it connects through the server's socket.
      const status = await runCliProcess(['status', '--json'], env)
      expect(status.code, status.output).toBe(0)
      expect(status.output).toMatch(/"status": "pending",\s*"n": 20/)

      server.child.kill('SIGKILL')
      await server.exited
      const config = loadConfig({ ...env, NODE_ENV: 'test' })
      const reopened = await openDatabase(config, { role: 'test', serve: false, logger: silentLogger })
      try {
        const { rows } = await reopened.db.query<{ n: number }>('select count(*)::int as n from subscribers')
        expect(rows[0]!.n).toBe(20)
      } finally {
        await reopened.close()
      }
    } finally {
      server.child.kill('SIGKILL')
    }
  })
})
