import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'

/** The file name `pg` looks for in its `host` folder (PostgreSQL's socket naming). */
export const SOCKET_FILE = '.s.PGSQL.5432'

/** Who holds an embedded database, as written in DATA_DIR/pglite.lock. */
export interface LockHolder {
  pid: number
  /** Process start time from /proc (clock ticks), to tell a live holder from a reused pid. */
  startTicks: string | null
  hostname: string
  role: string
  /** Whether the holder will serve the database on a socket (long-running roles do). */
  serves: boolean
  startedAt: string
  /** Where the holder serves its database to other processes, if it does. */
  socketDir: string | null
}

export type LockResult =
  | { acquired: true; release: () => void; update: (patch: Partial<LockHolder>) => void }
  | { acquired: false; holder: LockHolder }

function processStartTicks(pid: number): string | null {
  try {
    // Field 22 of /proc/<pid>/stat; the command name (field 2) may contain spaces, so count from its ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

/** A holder refreshes its lock file this often (see {@link LockResult}'s `heartbeat`). */
export const LOCK_HEARTBEAT_MS = 15_000

function isAlive(holder: LockHolder, file: string): boolean {
  if (holder.hostname !== hostname()) {
    // Another machine (or a container since recreated under a new name): its process cannot be
    // checked, but a live holder refreshes the file; four missed refreshes mean it is gone.
    try {
      return Date.now() - statSync(file).mtimeMs < 4 * LOCK_HEARTBEAT_MS
    } catch {
      return false
    }
  }
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  return holder.startTicks === null || processStartTicks(holder.pid) === holder.startTicks
}

/** The current holder of a data directory's lock, if any. */
export function readLockHolder(dataDir: string): LockHolder | null {
  return readHolder(path.join(dataDir, 'pglite.lock'))
}

function readHolder(file: string): LockHolder | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder
  } catch {
    return null
  }
}

/**
 * Takes the single-process lock on an embedded data directory. The lock file appears atomically
 * with its content (written aside, then hard-linked), so a reader never sees it half-written.
 * A lock left by a dead process (kill -9, power loss) is taken over.
 */
export function acquireDataDirLock(dataDir: string, role: string, serves = false): LockResult {
  mkdirSync(dataDir, { recursive: true })
  const file = path.join(dataDir, 'pglite.lock')
  const me: LockHolder = {
    pid: process.pid,
    startTicks: processStartTicks(process.pid),
    hostname: hostname(),
    role,
    serves,
    startedAt: new Date().toISOString(),
    socketDir: null,
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const aside = `${file}.${process.pid}.tmp`
    writeFileSync(aside, JSON.stringify(me))
    try {
      linkSync(aside, file)
      unlinkSync(aside)
      let released = false
      const update = (patch: Partial<LockHolder>) => {
        if (released) return // never bring back a lock given up
        Object.assign(me, patch)
        writeFileSync(aside, JSON.stringify(me))
        // rename over our own lock: atomic for readers, and the lock never disappears meanwhile
        renameSync(aside, file)
      }
      const release = () => {
        released = true
        const current = readHolder(file)
        if (current?.pid === process.pid) unlinkSafe(file)
      }
      return { acquired: true, release, update }
    } catch (error) {
      unlinkSafe(aside)
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const holder = readHolder(file)
    if (holder && isAlive(holder, file)) return { acquired: false, holder }
    unlinkSafe(file) // stale: its process is gone
  }
  const holder = readHolder(file)
  if (holder) return { acquired: false, holder }
  throw new Error(`could not take the lock ${file}`)
}

function unlinkSafe(file: string) {
  try {
    unlinkSync(file)
  } catch {}
}
