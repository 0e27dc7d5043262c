import { runCli } from './cli/run'
import { readEnvironment } from './config'

/** `npm run course -- <command>`: the operator's command line. */
process.exitCode = await runCli(
  process.argv.slice(2),
  {
    out: process.stdout,
    err: process.stderr,
    stdin: process.stdin,
    env: readEnvironment(),
    cwd: process.cwd(),
  },
  // Loaded only for `course web` and `course worker`: the other commands never start an HTTP server.
  async (roles) => (await import('./main')).startServer(roles),
)
