import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CompiledEmail } from './personalize'

/**
 * Compiled emails kept on disk between starts: compiling every email loads React and React Email and
 * renders each template (about a second, and memory a server keeps), while the content rarely
 * changes from one start to the next. The cache is keyed by everything the compiled emails depend
 * on: the content as loaded, the site's details and the compiler's own code (its files' sizes and
 * times), so any change compiles again.
 */

const CACHE_FILE = 'compiled-emails.json'

/** The project's root: the folder holding emails/ and src/content/ (from src/ or from dist/). */
function projectRoot(): string | null {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'emails')) && existsSync(path.join(dir, 'src', 'content'))) return dir
    if (path.dirname(dir) === dir) return null
  }
}

function fileStamps(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) fileStamps(file, out)
    else {
      const stat = statSync(file)
      out.push(`${entry.name}:${stat.size}:${stat.mtimeMs}`)
    }
  }
  return out
}

let compilerStamp: string | null = null

/** What identifies the compiler: the templates, the content code and the installed packages. */
function compilerVersion(): string {
  if (compilerStamp) return compilerStamp
  const root = projectRoot()
  // Without the sources beside it nothing says which compiler this is: never reuse a cache then.
  if (!root) compilerStamp = `unknown-${process.pid}-${Date.now()}`
  else {
    const lines = [
      ...fileStamps(path.join(root, 'emails'), []),
      ...fileStamps(path.join(root, 'src', 'content'), []),
    ]
    const lock = statSync(path.join(root, 'package-lock.json'), { throwIfNoEntry: false })
    lines.push(`lock:${lock?.size}:${lock?.mtimeMs}`)
    compilerStamp = lines.join('\n')
  }
  return compilerStamp
}

/** The key of a compile: a hash of its inputs (the parsed trees are left out: the Markdown is in). */
export function compileKey(inputs: unknown): string {
  const json = JSON.stringify(inputs, (key, value) => (key === 'tree' ? undefined : value))
  return createHash('sha256').update(compilerVersion()).update('\0').update(json).digest('hex')
}

/** The cached emails of `key`, or null when there are none (or the file is unreadable). */
export function readCompiled(dir: string, key: string): Map<string, CompiledEmail> | null {
  try {
    const cached = JSON.parse(readFileSync(path.join(dir, CACHE_FILE), 'utf8')) as {
      key?: string
      emails?: [string, CompiledEmail][]
    }
    if (cached.key !== key || !Array.isArray(cached.emails)) return null
    return new Map(cached.emails)
  } catch {
    return null
  }
}

/** Keeps the emails of `key` for the next start (best effort: a read-only folder only costs a compile). */
export function writeCompiled(dir: string, key: string, emails: Map<string, CompiledEmail>): void {
  try {
    mkdirSync(dir, { recursive: true })
    const temporary = path.join(dir, `${CACHE_FILE}.${process.pid}.tmp`)
    writeFileSync(temporary, JSON.stringify({ key, emails: [...emails] }))
    renameSync(temporary, path.join(dir, CACHE_FILE))
  } catch {
    // Not worth failing a start for.
  }
}
