#!/usr/bin/env -S node --max-old-space-size=512 --max-semi-space-size=4 --liftoff-only
// `npm start`: the web server and the scheduler in one process, run from the compiled JavaScript
// (compiled first when the sources changed; see build.js).
import { ensureBuilt } from './build.js'

const dist = await ensureBuilt()
const { startServer } = await import(`${dist}/main.js`)
process.exitCode = await startServer({ web: true, worker: true })
