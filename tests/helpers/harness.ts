import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Config, loadConfig, resolveSecret } from '../../src/config'
import type { ContentStore } from '../../src/content/catalog'
import { systemClock } from '../../src/lib/clock'
import { type Logger, silentLogger } from '../../src/lib/logger'
import type { Mailer } from '../../src/mail/mailer'
import { createOutboxMailer } from '../../src/mail/outbox-mailer'
import { contentSource, openContent } from '../../src/runtime'
import { createServices, type Services } from '../../src/services'
import { createTestDb, type Engine, type TestDb } from './db'
import { FakeClock } from './fake-clock'
import { readOutbox } from './outbox'

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..')
export const FIXTURES = path.join(REPO_ROOT, 'tests/fixtures')

export interface Harness {
  config: Config & { secret: string }
  content: ContentStore
  db: TestDb
  clock: FakeClock
  services: Services
  dir: string
  outboxDir: string
  mailer: Mailer
  /** Runs one tick as the scheduler would, and waits for any immediate send in flight. */
  tick(): ReturnType<Services['sender']['run']>
  outbox(): ReturnType<typeof readOutbox>
  close(): Promise<void>
}

export interface HarnessOptions {
  engine: Engine
  env?: Record<string, string>
  /** Replaces the outbox mailer (e.g. the Resend mailer pointed at the fake server). */
  mailer?: (clock: FakeClock, outboxDir: string) => Mailer
  start?: string
  /** Where the application logs (default: nowhere). */
  logger?: Logger
  /** Leases, throttle waits and backoff on real time (default: the fake clock, so waits are instant). */
  realClock?: 'fake' | 'system'
  /** A database the test prepared (default: a fresh, migrated one). */
  db?: TestDb
}

/** Folders no test writes to: their compiled content is shared by the harnesses of one test file. */
const READ_ONLY_CONTENT = ['lessons', 'newsletters', 'tests/fixtures'].map((dir) => path.join(REPO_ROOT, dir))
const compiled = new Map<string, Promise<ContentStore>>()

/**
 * The content for a harness: compiled once per test worker for the read-only folders (compiling the
 * real courses takes about half a second, and most tests make a harness each), fresh for a test's own
 * temporary folders, which it may edit.
 */
function contentFor(config: Config): Promise<ContentStore> {
  const readOnly = [config.lessonsDir, config.newslettersDir].every((dir) =>
    READ_ONLY_CONTENT.some((root) => dir === root || dir.startsWith(`${root}${path.sep}`)),
  )
  if (!readOnly) return openContent(config, silentLogger)
  // Not the cache folder: each harness has its own, and the content is the same.
  const { cacheDir: _ownFolder, ...source } = contentSource(config)
  const key = JSON.stringify(source)
  let store = compiled.get(key)
  if (!store) {
    store = openContent(config, silentLogger)
    compiled.set(key, store)
    store.catch(() => compiled.delete(key))
  }
  return store
}

/** The whole application on a fresh test database, a temporary outbox and a clock the test moves. */
export async function createHarness(options: HarnessOptions): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'course-test-'))
  const outboxDir = path.join(dir, 'outbox')
  const config = resolveSecret(
    loadConfig(
      {
        NODE_ENV: 'test',
        DATA_DIR: path.join(dir, 'data'),
        OUTBOX_DIR: outboxDir,
        LESSONS_DIR: path.join(REPO_ROOT, 'lessons'),
        NEWSLETTERS_DIR: path.join(REPO_ROOT, 'newsletters'),
        SECRET: 'test-secret-test-secret-test-secret-0123',
        BASE_URL: 'https://course.example.org',
        MAIL_FROM: 'SMP Course <course@mail.example.org>',
        POSTAL_ADDRESS: '1 Test Street, Testville',
        RESEND_RATE_LIMIT: '1000',
        ...options.env,
      },
      REPO_ROOT,
    ),
  )
  const db = options.db ?? (await createTestDb(options.engine))
  const clock = new FakeClock(options.start ?? '2027-01-04T08:00:00Z')
  const content = await contentFor(config)
  const mailer = options.mailer ? options.mailer(clock, outboxDir) : createOutboxMailer(outboxDir, clock)
  const services = await createServices({
    config,
    db,
    mailer,
    clock,
    realClock: options.realClock === 'system' ? systemClock : clock,
    logger: options.logger ?? silentLogger,
    content,
  })
  return {
    config,
    content,
    db,
    clock,
    services,
    dir,
    outboxDir,
    mailer,
    async tick() {
      const report = await services.tick()
      // An immediate send started meanwhile (a confirmation, lesson day 0) may still be going: let it end.
      await services.sender.whenIdle()
      return report
    },
    outbox: () => readOutbox(outboxDir),
    async close() {
      services.sender.stop()
      await services.sender.whenIdle()
      await services.webhooks.stop()
      await services.events.stop()
      await db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
