import type { Readable, Writable } from 'node:stream'

/** Where a command reads and writes; tests pass buffers, the real CLI passes the process's streams. */
export interface CliIo {
  out: Writable & { isTTY?: boolean }
  err: Writable & { isTTY?: boolean }
  stdin: Readable & { isTTY?: boolean }
  env: Record<string, string | undefined>
  cwd: string
}

/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The work failed, or the input had problems (listed on stderr). */
  failed: 1,
  /** The command line or the configuration is wrong. */
  usage: 2,
  /** Refused to protect the user: an issue already sent, no confirmation given. */
  refused: 3,
} as const

/** A mistake on the command line, reported with the usage of the command. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export function writeLine(stream: Writable, line = '') {
  stream.write(`${line}\n`)
}

/**
 * The course a command is about: the one named with `--course`, or the only one there is. `optional`:
 * without `--course` the command covers every course (undefined).
 */
export function pickCourse(
  courses: readonly { slug: string }[],
  named: string | undefined,
  options: { optional?: boolean } = {},
): string | undefined {
  const slugs = courses.map((course) => course.slug)
  if (named !== undefined) {
    if (!slugs.includes(named))
      throw new UsageError(`--course: no course "${named}" (courses: ${slugs.join(', ')})`)
    return named
  }
  if (options.optional) return undefined
  if (slugs.length === 1) return slugs[0]
  throw new UsageError(`give --course (courses: ${slugs.join(', ')})`)
}
