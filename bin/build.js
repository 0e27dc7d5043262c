// Compiles the TypeScript in src/ and emails/ into plain JavaScript under dist/js/, so that `npm start` and
// the CLI run without a TypeScript loader (quicker to start, smaller at rest). Plain JavaScript itself:
// it must run before anything is compiled.
//
// `ensureBuilt()` is what the launchers call: it compares a stamp of the sources (every file's name,
// size and modification time, and the installed packages) with the one recorded beside the last build,
// and compiles again only when they differ (about a second). Each build goes to its own folder,
// dist/js/<stamp>/, written under a temporary name and renamed into place, so processes starting at the
// same moment never see half a build and a running server keeps the files it may still load lazily.
//
// `node bin/build.js` compiles now (if needed) and prints the folder.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SOURCE_DIRS = ['src', 'emails']
const ENTRY_POINTS = { main: 'src/main.ts', cli: 'src/cli.ts' }
/** Builds older than this, other than the current one, are removed when a new build is made. */
const KEEP_OLD_BUILDS_MS = 7 * 24 * 3600 * 1000

function stamps(dir, out) {
  let names
  try {
    names = readdirSync(dir, { withFileTypes: true })
  } catch {
    return out
  }
  for (const entry of names.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) stamps(file, out)
    else if (/\.(ts|tsx|js|sql|json)$/.test(entry.name)) {
      const stat = statSync(file)
      out.push(`${path.relative(ROOT, file)}:${stat.size}:${stat.mtimeMs}`)
    }
  }
  return out
}

/** A short hash of everything a build depends on: the sources, this script and the installed packages. */
export function sourceStamp() {
  const lines = SOURCE_DIRS.flatMap((dir) => stamps(path.join(ROOT, dir), []))
  for (const file of ['bin/build.js', 'package.json', 'package-lock.json', 'tsconfig.json']) {
    const stat = statSync(path.join(ROOT, file), { throwIfNoEntry: false })
    lines.push(`${file}:${stat?.size}:${stat?.mtimeMs}`)
  }
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16)
}

/** Removes builds other than `keep` that are older than a week (a long-running server may use one). */
function pruneOldBuilds(distDir, keep) {
  for (const name of readdirSync(distDir)) {
    if (name === keep) continue
    const dir = path.join(distDir, name)
    const stat = statSync(dir, { throwIfNoEntry: false })
    const stale = name.includes('.tmp-') || Date.now() - (stat?.mtimeMs ?? 0) > KEEP_OLD_BUILDS_MS
    if (stat && stale && Date.now() - stat.mtimeMs > 60_000) rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Returns the folder holding the compiled entry points (main.js, cli.js), compiling first when the
 * sources changed since the last build. A build that cannot be made (a read-only checkout, a syntax
 * error in a source file) is reported in a few lines and the process exits 1.
 */
export async function ensureBuilt() {
  try {
    return await build()
  } catch (error) {
    const problems = error?.errors?.map((e) => `${e.location?.file}:${e.location?.line}: ${e.text}`)
    process.stderr.write(
      `Cannot compile the sources into ${path.join(ROOT, 'dist', 'js')}: ${
        problems?.length ? `\n${problems.join('\n')}` : (error?.message ?? error)
      }\n`,
    )
    process.exit(1)
  }
}

async function build() {
  const stamp = sourceStamp()
  const distDir = path.join(ROOT, 'dist', 'js')
  const target = path.join(distDir, stamp)
  if (existsSync(path.join(target, 'cli.js'))) return target
  // Loaded only when compiling: esbuild is not needed to run a build that exists.
  const esbuild = await import('esbuild')
  mkdirSync(distDir, { recursive: true })
  const temporary = `${target}.tmp-${process.pid}`
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ENTRY_POINTS,
    outdir: temporary,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Packages stay in node_modules: only our own code is compiled and bundled.
    packages: 'external',
    jsx: 'automatic',
    sourcemap: 'linked',
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'error',
  })
  try {
    renameSync(temporary, target)
  } catch (error) {
    // Another process finished the same build first: theirs is identical.
    rmSync(temporary, { recursive: true, force: true })
    if (!existsSync(path.join(target, 'cli.js'))) throw error
  }
  pruneOldBuilds(distDir, stamp)
  return target
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now()
  const dir = await ensureBuilt()
  process.stdout.write(
    `compiled JavaScript in ${path.relative(process.cwd(), dir)} (${Date.now() - started} ms)\n`,
  )
}
