import { runCli } from './cli/run'
import { readEnvironment } from './config'
import { startServer } from './main'

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
  startServer,
)
