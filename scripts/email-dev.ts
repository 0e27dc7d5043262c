import { spawn } from 'node:child_process'
import { watch } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config'
import { contentSource } from '../src/runtime'
import { writePreviews } from './email-preview'

/**
 * `npm run email:dev`: React Email's preview server over every real lesson, confirmation, invitation
 * and newsletter issue (not only the templates' sample data). The preview modules are written to
 * `.preview/emails/` and rewritten when a Markdown file changes; the server reloads them.
 */
const ROOT = path.resolve(import.meta.dirname, '..')
const { values } = parseArgs({
  options: { port: { type: 'string', default: '3001' }, out: { type: 'string' } },
  strict: true,
})
const config = loadConfig(process.env, ROOT)
const source = contentSource(config)
const outDir = path.resolve(ROOT, values.out ?? '.preview/emails')
const emailsDir = path.join(ROOT, 'emails')

async function write(reason: string): Promise<void> {
  const { files, problems } = await writePreviews(source, outDir, emailsDir)
  console.log(
    `${reason}: ${files.length} preview(s) in ${path.relative(ROOT, outDir)}${problems.length > 0 ? `; ${problems.length} content problem(s):\n  ${problems.join('\n  ')}` : ''}`,
  )
}

await write('content')
let timer: NodeJS.Timeout | undefined
for (const dir of [source.lessonsDir, source.newslettersDir])
  watch(dir, { recursive: true }, () => {
    clearTimeout(timer)
    timer = setTimeout(() => write('content changed').catch((error) => console.error(error)), 150)
  })

// React Email's CLI starts itself again as a child with other Node options and does not pass a
// signal on to it: it runs in a process group of its own, and a signal goes to the whole group.
const server = spawn(
  path.join(ROOT, 'node_modules', '.bin', 'email'),
  ['dev', '--dir', outDir, '--port', values.port],
  { cwd: ROOT, stdio: 'inherit', detached: true },
)
const stopServer = (signal: NodeJS.Signals) => {
  try {
    if (server.pid !== undefined) process.kill(-server.pid, signal)
  } catch {
    // Already gone.
  }
}
server.on('exit', (code) => {
  stopServer('SIGTERM')
  process.exit(code ?? 0)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stopServer(signal))
process.on('exit', () => stopServer('SIGTERM'))
