import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, unlinkSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket'
import { SOCKET_FILE } from './data-dir-lock'
import type { PgliteDb } from './pglite-adapter'

const SYNC = 0x53 // 'S': ends an extended-protocol exchange (Parse/Bind/Execute…/Sync)
const QUERY = 0x51 // 'Q': a simple query is a whole exchange
const TERMINATE = 0x58 // 'X'
const STARTUP = 0x00 // startup packets begin with a length, whose first byte is 0

/**
 * Serialises socket clients with the in-process code on PGlite's single session.
 *
 * pglite-socket's own queue interleaves clients message by message, which mixes one client's
 * Parse/Bind/Execute with another's and lets in-process statements run inside a client's open
 * transaction. Here a client takes the process's session lock for a whole exchange, and keeps it
 * while its transaction is open, so nothing else runs in between.
 */
class SessionQueue {
  #holder: number | null = null
  #release: (() => void) | null = null

  constructor(private readonly db: PgliteDb) {}

  async enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    if (this.#holder !== handlerId) {
      const release = await this.db.sessionLock.acquire()
      this.#holder = handlerId
      this.#release = release
    }
    let bytes = 0
    try {
      await this.db.pglite.runExclusive(() =>
        this.db.pglite.execProtocolRawStream(message, {
          onRawData: (data: Uint8Array) => {
            bytes += data.length
            onData(data)
          },
        }),
      )
    } finally {
      const type = message[0]
      const endsExchange = type === SYNC || type === QUERY || type === TERMINATE || type === STARTUP
      if (endsExchange && !this.db.pglite.isInTransaction()) this.#free()
    }
    return bytes
  }

  #free() {
    const release = this.#release
    this.#holder = null
    this.#release = null
    release?.()
  }

  clearQueueForHandler(_handlerId: number) {}

  /** A client that disconnects mid-transaction must not leave the session in it. */
  async clearTransactionIfNeeded(handlerId: number) {
    if (this.#holder !== handlerId) return
    if (this.db.pglite.isInTransaction()) await this.db.pglite.exec('rollback')
    this.#free()
  }
}

/** Picks a folder for the socket: DATA_DIR/run, or a short path in /tmp if that would be too long for a Unix socket. */
export function socketDirFor(dataDir: string): string {
  const preferred = path.join(dataDir, 'run')
  if (path.join(preferred, SOCKET_FILE).length < 100) return preferred
  return path.join(tmpdir(), `course-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`)
}

/**
 * Serves the process's PGlite to other processes (the `course` CLI while `npm start` runs) on a Unix
 * socket only this machine's users can reach.
 */
export async function servePglite(db: PgliteDb, socketDir: string): Promise<{ stop(): Promise<void> }> {
  mkdirSync(socketDir, { recursive: true, mode: 0o700 })
  const socketPath = path.join(socketDir, SOCKET_FILE)
  if (existsSync(socketPath)) unlinkSync(socketPath) // left by a process that died; we hold the data lock
  const queue = new SessionQueue(db)
  const handlers = new Set<PGLiteSocketHandler>()
  const server: Server = createServer((socket) => {
    const handler = new PGLiteSocketHandler({ queryQueue: queue as never, closeOnDetach: true })
    handlers.add(handler)
    socket.on('close', () => handlers.delete(handler))
    handler.attach(socket).catch(() => socket.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => resolve())
  })
  return {
    async stop() {
      for (const handler of handlers) await handler.detach(true).catch(() => {})
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (existsSync(socketPath)) unlinkSync(socketPath)
    },
  }
}
