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
import type { SiteInfo } from './compile'
import type { CompiledEmail } from './personalize'
import type { Course, Newsletter } from './types'

/**
 * Compiled emails kept on disk between starts: compiling every email loads React and React Email and
 * renders each template (about a second, and memory a server keeps), while the content rarely
 * changes from one start to the next. The cache is keyed by everything the compiled emails depend
 * on: the content as loaded, the site's details and the compiler's own code (its files' sizes and
 * times), so any change compiles again.
 *
 * The content as loaded is kept beside its emails, under a key of the content files themselves (every
 * name and byte): while the files are those, a start reads both from here and never loads the
 * parsers (gray-matter with js-yaml and esprima, micromark), a few megabytes that a newsletter send,
 * say, would carry for nothing. Only content that loaded without a problem is ever written here.
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

/** Every name under `dir` (its folders' too, `depth` levels down) and the bytes of its Markdown files. */
function hashFiles(hash: ReturnType<typeof createHash>, dir: string, depth: number): void {
  let names: string[]
  try {
    names = readdirSync(dir).sort()
  } catch {
    hash.update('\0(none)')
    return
  }
  for (const name of names) {
    const file = path.join(dir, name)
    const stat = statSync(file, { throwIfNoEntry: false })
    hash.update(`\0${name}\0${stat?.isDirectory() ? 'dir' : 'file'}\0`)
    if (stat?.isDirectory()) {
      if (depth > 0) hashFiles(hash, file, depth - 1)
    } else if (stat && name.endsWith('.md')) hash.update(readFileSync(file))
  }
  hash.update('\0end')
}

/**
 * The key of the content as loaded from its files: everything loading depends on (the folders' names,
 * every file name and Markdown file's bytes, the site, the loader's code and packages, the collation
 * courses are sorted by). Reading the files costs a few milliseconds; parsing them, much more.
 */
export function contentFilesKey(source: {
  lessonsDir: string
  newslettersDir: string
  site: SiteInfo
}): string {
  const hash = createHash('sha256').update(compilerVersion())
  hash.update(`\0${JSON.stringify(source.site)}\0${new Intl.Collator().resolvedOptions().locale}`)
  hash.update(`\0${path.basename(source.lessonsDir)}`)
  hashFiles(hash, source.lessonsDir, 1)
  hash.update(`\0${path.basename(source.newslettersDir)}`)
  hashFiles(hash, source.newslettersDir, 0)
  return hash.digest('hex')
}

/** The content as loaded, kept with its emails. */
export interface LoadedContent {
  /** {@link contentFilesKey} of the files it was loaded from. */
  filesKey: string
  courses: Course[]
  newsletters: Newsletter[]
}

interface CacheFile {
  key?: string
  emails?: [string, CompiledEmail][]
  content?: LoadedContent
}

function readCacheFile(dir: string): CacheFile | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, CACHE_FILE), 'utf8')) as CacheFile
  } catch {
    return null
  }
}

/** The cached emails of `key`, or null when there are none (or the file is unreadable). */
export function readCompiled(dir: string, key: string): Map<string, CompiledEmail> | null {
  const cached = readCacheFile(dir)
  if (cached?.key !== key || !Array.isArray(cached.emails)) return null
  return new Map(cached.emails)
}

/** The content loaded from files of `filesKey`, and its emails; null when the cache has not these. */
export function readLoadedContent(
  dir: string,
  filesKey: string,
): { courses: Course[]; newsletters: Newsletter[]; emails: Map<string, CompiledEmail> } | null {
  const cached = readCacheFile(dir)
  const content = cached?.content
  if (content?.filesKey !== filesKey || !Array.isArray(cached?.emails)) return null
  if (!Array.isArray(content.courses) || !Array.isArray(content.newsletters)) return null
  return { courses: content.courses, newsletters: content.newsletters, emails: new Map(cached.emails) }
}

/**
 * Keeps the emails of `key` for the next start, with the content they were compiled from when given
 * (best effort: a read-only folder only costs a compile).
 */
export function writeCompiled(
  dir: string,
  key: string,
  emails: Map<string, CompiledEmail>,
  content?: LoadedContent,
): void {
  try {
    mkdirSync(dir, { recursive: true })
    const temporary = path.join(dir, `${CACHE_FILE}.${process.pid}.tmp`)
    writeFileSync(temporary, JSON.stringify({ key, emails: [...emails], ...(content ? { content } : {}) }))
    renameSync(temporary, path.join(dir, CACHE_FILE))
  } catch {
    // Not worth failing a start for.
  }
}
