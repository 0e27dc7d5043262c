import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, unlinkSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket'
import { SOCKET_FILE } from './data-dir-lock'
import { isStorageFailure, type PgliteDb } from './pglite-adapter'

const SYNC = 0x53 // 'S': ends an extended-protocol exchange (Parse/Bind/Execute…/Sync)
const QUERY = 0x51 // 'Q': a simple query is a whole exchange
const TERMINATE = 0x58 // 'X'
const STARTUP = 0x00 // startup packets begin with a length, whose first byte is 0
const ERROR_RESPONSE = 0x45 // 'E'

/**
 * Reads the backend's answer as it streams out, and returns the first ErrorResponse's severity
 * and code (fields 'V' and 'C'), so that a socket client's PANIC or full disk stops the engine as
 * an in-process one does. Messages may be split across chunks: the reader keeps its place.
 */
class ErrorWatch {
  #header: number[] = []
  #remaining = 0
  #type = 0
  #body: number[] = []
  found: { severity?: string; code?: string; message?: string } | null = null

  feed(data: Uint8Array): void {
    for (let i = 0; i < data.length && !this.found; ) {
      if (this.#remaining === 0) {
        this.#header.push(data[i++]!)
        if (this.#header.length < 5) continue
        const [type, a, b, c, d] = this.#header as [number, number, number, number, number]
        this.#type = type
        this.#remaining = ((a << 24) | (b << 16) | (c << 8) | d) - 4
        this.#header = []
        this.#body = []
        if (this.#remaining === 0) continue
      }
      const take = Math.min(this.#remaining, data.length - i)
      // Only error messages are kept, and only their first 2 KB (they are short).
      if (this.#type === ERROR_RESPONSE && this.#body.length < 2048)
        this.#body.push(...data.subarray(i, i + Math.min(take, 2048 - this.#body.length)))
      i += take
      this.#remaining -= take
      if (this.#remaining === 0 && this.#type === ERROR_RESPONSE) this.#read()
    }
  }

  #read(): void {
    const fields: Record<string, string> = {}
    const text = Buffer.from(this.#body).toString('utf8')
    for (const part of text.split('\0')) if (part) fields[part[0]!] = part.slice(1)
    this.found = { severity: fields.V ?? fields.S, code: fields.C, message: fields.M }
  }
}

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
    const failure = this.db.failure()
    if (failure) {
      this.#free()
      throw failure
    }
    const errors = new ErrorWatch()
    try {
      await this.db.pglite.runExclusive(() =>
        this.db.pglite.execProtocolRawStream(message, {
          onRawData: (data: Uint8Array) => {
            bytes += data.length
            if (!errors.found) errors.feed(data)
            onData(data)
          },
        }),
      )
      if (errors.found && isStorageFailure(errors.found))
        this.db.fail(Object.assign(new Error(errors.found.message ?? 'storage failure'), errors.found))
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
