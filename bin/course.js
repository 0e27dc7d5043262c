#!/usr/bin/env -S node --max-old-space-size=512 --max-semi-space-size=2
// `course <command>` (`npm run course -- <command>`, or after `npm link`): the operator's command line,
// run from the compiled JavaScript (compiled first when the sources changed; see build.js).
import { ensureBuilt } from './build.js'

const dist = await ensureBuilt()
await import(`${dist}/cli.js`)
