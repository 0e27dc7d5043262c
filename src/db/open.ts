import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Config } from '../config'
import type { Logger } from '../lib/logger'
import {
  acquireDataDirLock,
  LOCK_HEARTBEAT_MS,
  type LockHolder,
  readLockHolder,
  SOCKET_FILE,
} from './data-dir-lock'
import type { Db } from './db'
import { migrate } from './migrate'
import { openPg } from './pg-adapter'

/** Thrown when the embedded database is held by another process that does not share it. */
export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by process ${holder.pid} on ${holder.hostname} ` +
        `(${holder.role}, started ${holder.startedAt}) and is not shared. Stop that process, or run ` +
        'this command while `npm start` is up (it serves the database to other commands), or set DATABASE_URL.',
    )
    this.name = 'DataDirBusyError'
  }
}

export interface OpenedDatabase {
  db: Db
  /** One line for logs: which engine, where, and how this process reaches it. */
  description: string
  close(): Promise<void>
}

/**
 * Waits (bounded) for a holder that serves its database to open its socket: it may still be starting.
 * A holder that never serves (a short CLI command) is reported at once.
 */
async function waitForSocket(
  dataDir: string,
  first: LockHolder,
  ms: number,
): Promise<{ socketDir: string | null; holder: LockHolder }> {
  let holder = first
  for (let waited = 0; ; waited += 100) {
    if (holder.socketDir && existsSync(path.join(holder.socketDir, SOCKET_FILE)))
      return { socketDir: holder.socketDir, holder }
    if (!holder.serves || waited >= ms) return { socketDir: null, holder }
    await new Promise((resolve) => setTimeout(resolve, 100))
    holder = readLockHolder(dataDir) ?? holder
  }
}

/**
 * Opens the configured database and applies migrations. PostgreSQL when DATABASE_URL is set; else
 * the embedded PGlite in DATA_DIR: opened here if free, reached through the running process's socket
 * if another process holds it and serves it, a clear error otherwise. Long-running roles `serve`.
 */
export async function openDatabase(
  config: Config,
  options: {
    role: string
    serve: boolean
    logger: Logger
    /** The embedded engine stopped for good (full disk, PANIC): the process should exit. */
    onStorageFailure?: (error: Error) => void
  },
): Promise<OpenedDatabase> {
  if (config.databaseUrl) {
    const db = openPg({
      connectionString: config.databaseUrl,
      applicationName: `course-${options.role}`,
      prepare: config.databasePreparedStatements,
    })
    await migrate(db)
    const where = new URL(config.databaseUrl)
    return { db, description: `PostgreSQL at ${where.host}${where.pathname}`, close: () => db.close() }
  }
  const lock = acquireDataDirLock(config.dataDir, options.role, options.serve)
  if (!lock.acquired) {
    const { socketDir, holder } = await waitForSocket(config.dataDir, lock.holder, 15_000)
    if (!socketDir) throw new DataDirBusyError(config.dataDir, holder)
    // One short-lived connection: the holder's own requests wait while we hold its session.
    const db = openPg({
      socketDir,
      max: 1,
      idleTimeoutMillis: 200,
      applicationName: `course-${options.role}`,
    })
    await db.query('select 1')
    return {
      db,
      description: `embedded PGlite in ${config.dataDir}, through process ${holder.pid}`,
      close: () => db.close(),
    }
  }
  let heartbeat: NodeJS.Timeout | undefined
  try {
    // Loaded only here: processes on PostgreSQL never pay for the embedded engine's memory.
    const { openPglite } = await import('./pglite-adapter')
    const { servePglite, socketDirFor } = await import('./pglite-serve')
    const db = await openPglite({
      dataDir: path.join(config.dataDir, 'pgdata'),
      onFailure: options.onStorageFailure,
    })
    await migrate(db)
    let server: { stop(): Promise<void> } | null = null
    // Refresh the lock file so that a holder on another host name (a recreated container) can tell
    // a live lock from one left by a process that is gone.
    heartbeat = setInterval(() => lock.update({}), LOCK_HEARTBEAT_MS)
    heartbeat.unref()
    if (options.serve) {
      const socketDir = socketDirFor(config.dataDir)
      server = await servePglite(db, socketDir)
      lock.update({ socketDir })
    }
    return {
      db,
      description: `embedded PGlite in ${config.dataDir}`,
      async close() {
        clearInterval(heartbeat)
        await server?.stop()
        await db.close()
        lock.release()
      },
    }
  } catch (error) {
    clearInterval(heartbeat)
    lock.release()
    throw error
  }
}
