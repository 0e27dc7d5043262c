import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** A free loopback port (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

export interface Spawned {
  child: ChildProcess
  output(): string
  exited: Promise<number | null>
  waitFor(pattern: RegExp, ms?: number): Promise<void>
}

/** What users run for each entry point: the launchers that run the compiled JavaScript (bin/build.js). */
const LAUNCHERS: Record<string, string> = { 'src/main.ts': 'bin/start.js', 'src/cli.ts': 'bin/course.js' }

/**
 * Runs an entry point of the project in its own Node process as its npm script does: `src/main.ts`
 * and `src/cli.ts` from the compiled JavaScript (`npm start`, `npm run course`), scripts through tsx
 * (`npm run email:dev`); with no wrapper process, so a signal reaches the process that holds the database.
 */
export function spawnTs(entry: string, args: string[], env: Record<string, string>): Spawned {
  const launcher = LAUNCHERS[entry]
  const command = launcher ? [path.join(ROOT, launcher)] : ['--import', 'tsx', path.join(ROOT, entry)]
  const child = spawn(process.execPath, [...command, ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    child,
    output: () => output,
    exited,
    async waitFor(pattern, ms = 60_000) {
      const deadline = Date.now() + ms
      while (!pattern.test(output)) {
        if (child.exitCode !== null)
          throw new Error(`process exited (${child.exitCode}) before ${pattern}:\n${output}`)
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${output}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
  }
}

/** Runs a CLI command in a child process to completion. */
export async function runCliProcess(args: string[], env: Record<string, string>, ms = 60_000) {
  const spawned = spawnTs('src/cli.ts', args, env)
  const timer = setTimeout(() => spawned.child.kill('SIGKILL'), ms)
  const code = await spawned.exited
  clearTimeout(timer)
  return { code, output: spawned.output() }
}

/** Polls a URL until it answers 200. */
export async function waitForHttp(url: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      if ((await fetch(url)).status === 200) return
    } catch {}
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 in time`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
