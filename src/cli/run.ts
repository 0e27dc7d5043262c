import { ConfigError } from '../config'
import { ContentError } from '../content/catalog'
import { formatProblem } from '../content/types'
import { DatabaseUnavailableError } from '../db/db'
import { DataDirBusyError } from '../db/open'
import { COMMANDS } from './commands'
import { type CliContext, createCliContext } from './context'
import { type CliIo, EXIT, UsageError, writeLine } from './io'

const SERVER_USAGE = [
  'course web                         only the web server (signup, pages, webhooks)',
  'course worker                      only the scheduler (sends what is due)',
]

export function usage(): string {
  return [
    'usage: npm run course -- <command> [options]',
    '',
    ...SERVER_USAGE,
    ...Object.values(COMMANDS).map((c) => c.usage),
  ].join('\n')
}

/** Whether the error, or one it wraps, is a lost or refused database connection. */
function causedByLostDatabase(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof DatabaseUnavailableError) return true
  return false
}

/**
 * Runs one CLI command and returns its exit code (0 ok, 1 failed, 2 usage or configuration, 3
 * refused). Expected problems are printed as one clear message; only bugs show a stack trace.
 */
export async function runCli(
  argv: string[],
  io: CliIo,
  startServer?: (roles: { web: boolean; worker: boolean }) => Promise<number>,
  makeContext: (io: CliIo, command: string) => CliContext = createCliContext,
): Promise<number> {
  const [name, ...args] = argv
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    writeLine(name ? io.out : io.err, usage())
    return name ? EXIT.ok : EXIT.usage
  }
  if ((name === 'web' || name === 'worker') && startServer) {
    return startServer({ web: name === 'web', worker: name === 'worker' })
  }
  const command = COMMANDS[name]
  if (!command) {
    writeLine(io.err, `unknown command "${name}"\n\n${usage()}`)
    return EXIT.usage
  }
  const ctx = makeContext(io, name)
  try {
    return await command.run(args, ctx)
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      writeLine(io.err, `course ${name}: ${(error as Error).message}\n\nusage: ${command.usage}`)
      return EXIT.usage
    }
    if (error instanceof ConfigError) {
      writeLine(io.err, error.message)
      return EXIT.usage
    }
    if (error instanceof ContentError) {
      for (const problem of error.problems) writeLine(io.err, formatProblem(problem))
      return EXIT.failed
    }
    if (error instanceof DataDirBusyError) {
      writeLine(io.err, error.message)
      return EXIT.failed
    }
    if (causedByLostDatabase(error)) {
      // One line: what stopped, in the words of the step that stopped (it may say how far it got).
      writeLine(
        io.err,
        `course ${name}: ${(error as Error).message}. Is the database (or the npm start serving it) still running? Run the command again once it is.`,
      )
      return EXIT.failed
    }
    throw error
  }
}
