import { PassThrough, Writable } from 'node:stream'
import type { CliIo } from '../../src/cli/io'
import { runCli } from '../../src/cli/run'

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
