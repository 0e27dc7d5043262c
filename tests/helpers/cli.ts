import { PassThrough, Writable } from 'node:stream'
import type { CliContext } from '../../src/cli/context'
import type { CliIo } from '../../src/cli/io'
import { runCli } from '../../src/cli/run'
import { silentLogger } from '../../src/lib/logger'
import type { Runtime } from '../../src/runtime'
import { createServices } from '../../src/services'
import type { Harness } from './harness'

/** Streams that collect what a command prints, and a stdin that is not a terminal (as in scripts). */
export function captureIo(
  env: Record<string, string | undefined>,
  cwd: string,
  options: { tty?: boolean } = {},
) {
  let out = ''
  let err = ''
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk))
        done()
      },
    })
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean }
  stdin.isTTY = options.tty ?? false
  const io: CliIo = {
    out: sink((text) => {
      out += text
    }),
    err: sink((text) => {
      err += text
    }),
    stdin,
    env,
    cwd,
  }
  return { io, stdin, out: () => out, err: () => err }
}

/** Runs `course <args>` in-process and returns its exit code and output. */
export async function runCourse(
  args: string[],
  env: Record<string, string | undefined>,
  cwd: string,
  options: { tty?: boolean; input?: string } = {},
) {
  const capture = captureIo(env, cwd, options)
  if (options.input !== undefined) capture.stdin.end(options.input)
  const code = await runCli(args, capture.io)
  return { code, out: capture.out(), err: capture.err() }
}

/**
 * Runs `course <args>` in-process against a harness: the same database, content, services and clock
 * (no second database, no start-up cost).
 */
export async function runCourseOn(
  h: Harness,
  args: string[],
  options: { tty?: boolean; input?: string } = {},
) {
  const capture = captureIo({}, h.dir, options)
  if (options.input !== undefined) capture.stdin.end(options.input)
  const runtime: Runtime = {
    database: { db: h.db, description: 'test database', close: async () => {} },
    content: h.content,
    services: h.services,
    close: async () => {},
  }
  const context = (io: CliIo): CliContext => ({
    io,
    config: () => h.config,
    logger: () => silentLogger,
    // A command that moves the clock (run-due --at) gets services on that clock, like the real CLI.
    open: async (opened = {}) =>
      opened.clock
        ? {
            ...runtime,
            services: await createServices({
              config: h.config,
              db: h.db,
              mailer: h.mailer,
              clock: opened.clock,
              logger: silentLogger,
              content: h.content,
            }),
          }
        : runtime,
  })
  const code = await runCli(args, capture.io, undefined, context)
  return { code, out: capture.out(), err: capture.err() }
}
