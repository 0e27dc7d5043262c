import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { describe, expect, inject, it } from 'vitest'
import { DatabaseUnavailableError } from '../../src/db/db'
import { wrapPglite } from '../../src/db/pglite-adapter'
import { FIXTURES } from '../helpers/harness'
import { freePort } from '../helpers/process'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** What PGlite throws when the disk under its data folder is full (seen with a full tmpfs). */
const diskFull = () =>
  Object.assign(new Error('could not write to file "pg_wal/xlogtemp.42": No space left on device'), {
    severity: 'PANIC',
    code: '53100',
  })

/**
 * A real in-memory engine, from global setup's empty database, whose calls are noted (`exec` by its
 * text, protocol exchanges as "protocol") and can be made to fail as a full disk does.
 */
async function watchedEngine(failWhen: (sql: string) => boolean) {
  const pglite = await PGlite.create({ loadDataDir: new Blob([readFileSync(inject('pgliteTemplate'))]) })
  const calls: string[] = []
  // exec() runs through the same protocol call: only the adapter's own protocol exchanges are noted.
  let inExec = false
  const protocol = pglite.execProtocolStream.bind(pglite)
  pglite.execProtocolStream = async (message, options) => {
    if (!inExec) calls.push('protocol')
    // A Parse message carries the statement's text.
    if (failWhen(Buffer.from(message).toString('utf8'))) throw diskFull()
    return protocol(message, options)
  }
  const exec = pglite.exec.bind(pglite)
  pglite.exec = async (sql, options) => {
    calls.push(sql)
    inExec = true
    try {
      return await exec(sql, options)
    } finally {
      inExec = false
    }
  }
  const close = pglite.close.bind(pglite)
  pglite.close = async () => {
    calls.push('close')
    await close()
  }
  return { pglite, calls, close }
}

describe('the embedded engine after a storage failure', () => {
  it('refuses every later call without reaching PGlite, says so once, and never closes it', async () => {
    const engine = await watchedEngine((sql) => sql.includes('insert into t'))
    const failures: Error[] = []
    const db = wrapPglite(engine.pglite, (error) => failures.push(error))
    await db.exec('create table t (n int)')
    expect((await db.query('select 1 as ok')).rows).toEqual([{ ok: 1 }])
    await expect(db.transaction((tx) => tx.query('insert into t values ($1)', [1]))).rejects.toBeInstanceOf(
      DatabaseUnavailableError,
    )
    // The failed transaction is not rolled back: after a PANIC that statement would never return.
    expect(engine.calls.slice(-2)).toEqual(['begin', 'protocol'])
    const reached = engine.calls.length
    await expect(db.query('select 1')).rejects.toThrow(/No space left on device/)
    await expect(db.exec('select 1')).rejects.toBeInstanceOf(DatabaseUnavailableError)
    await db.close()
    expect(engine.calls).toHaveLength(reached)
    expect(engine.calls).not.toContain('close')
    expect(failures).toHaveLength(1)
    expect(db.failure()?.message).toMatch(/No space left/)
    await engine.close()
  })

  it('rolls back after an ordinary error and keeps working', async () => {
    const engine = await watchedEngine(() => false)
    const db = wrapPglite(engine.pglite)
    await expect(db.transaction((tx) => tx.query('select * from no_such_table'))).rejects.toThrow(
      /no_such_table/,
    )
    expect(engine.calls).toEqual(['begin', 'protocol', 'rollback'])
    expect((await db.query('select 2 as n')).rows).toEqual([{ n: 2 }])
    expect(db.failure()).toBeNull()
    await db.close()
  })
})

/** How this machine can give a test a small disk of its own: a private mount namespace, if allowed. */
function mountNamespace(): string[] | null {
  for (const args of [['-m'], ['-Urm']]) {
    if (spawnSync('unshare', [...args, 'true']).status === 0) return args
  }
  return null
}

const UNSHARE = mountNamespace()
if (!UNSHARE)
  process.stderr.write(
    '\n!!! The full-disk test of the embedded server did NOT run: this machine cannot make a private ' +
      'mount namespace (unshare -m as root, or unshare -Urm). CI runs it as root. !!!\n\n',
  )

describe.runIf(UNSHARE)('npm start on a disk that fills up', () => {
  it('says what happened in one line, exits non-zero, and keeps every signup it accepted', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'course-full-'))
    const disk = path.join(dir, 'disk')
    const ready = path.join(dir, 'fill-now')
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    // Inside a private mount namespace: a 64 MB tmpfs for DATA_DIR; the server starts on it; when the
    // test says so, the rest of the disk is filled; after the server exits, the disk grows and the
    // stored subscribers are exported from the same folder (the tmpfs only exists in this namespace).
    const script = `
      set -u
      mkdir -p "${disk}" && mount -t tmpfs -o size=64m tmpfs "${disk}" || exit 90
      node bin/start.js &
      server=$!
      while [ ! -f "${ready}" ]; do sleep 0.05; done
      dd if=/dev/zero of="${disk}/filler" bs=1M 2>/dev/null
      wait $server
      echo "server exited with $?"
      rm -f "${disk}/filler" && mount -o remount,size=256m "${disk}"
      node bin/course.js subscribers export
    `
    writeFileSync(path.join(dir, 'run.sh'), script)
    const child = spawn('unshare', [...UNSHARE!, 'sh', path.join(dir, 'run.sh')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        NODE_ENV: 'test',
        DATA_DIR: path.join(disk, 'data'),
        OUTBOX_DIR: path.join(dir, 'outbox'),
        LESSONS_DIR: path.join(FIXTURES, 'lessons-short'),
        NEWSLETTERS_DIR: path.join(FIXTURES, 'newsletters-short'),
        PORT: String(port),
        BASE_URL: base,
        SECRET: 'disk-full-secret-disk-full-secret-01234',
        SUBSCRIBE_RATE_LIMIT: '100000',
        TICK_CRON: '0 0 1 1 *',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    try {
      const get = (url: string) =>
        fetch(url).then(
          (r) => r.status,
          () => 0,
        )
      const deadline = Date.now() + 90_000
      while ((await get(`${base}/healthz`)) !== 200) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no start:\n${output}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      const accepted: string[] = []
      for (let i = 0; i < 20; i++) {
        const status = await signup(base, `before${i}@example.org`)
        if (status === 303) accepted.push(`before${i}@example.org`)
      }
      expect(accepted).toHaveLength(20)
      writeFileSync(ready, '')
      // Sign up until the server stops answering; /healthz must never say 200 once a write has failed.
      let failedWrite = false
      for (let i = 0; i < 5000 && Date.now() < deadline; i++) {
        const status = await signup(base, `after${i}@example.org`)
        if (status === 303) accepted.push(`after${i}@example.org`)
        else if (status === 0) break
        else {
          expect(status, output).toBe(503)
          failedWrite = true
          const health = await get(`${base}/healthz`)
          expect([0, 503]).toContain(health)
        }
      }
      expect(failedWrite || /stopped/.test(output), output).toBe(true)
      expect(await exited).toBe(0)
      expect(output).toMatch(/server exited with 1/)
      const stopLines = output.split('\n').filter((line) => line.includes('stopped:'))
      expect(stopLines, output).toHaveLength(1)
      expect(stopLines[0]).toMatch(
        /The embedded database in .* stopped: .*No space left on device.*Nothing committed is lost/,
      )
      expect(output).not.toMatch(/\n\s+at /)
      const exported = new Set(output.match(/[a-z]+\d+@example\.org/g))
      for (const email of accepted) expect(exported.has(email), email).toBe(true)
    } finally {
      child.kill('SIGKILL')
      await exited
      spawnSync('umount', [disk])
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)
})

function signup(base: string, email: string): Promise<number> {
  return fetch(`${base}/subscribe`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `email=${encodeURIComponent(email)}`,
    redirect: 'manual',
  }).then(
    (response) => response.status,
    () => 0,
  )
}
