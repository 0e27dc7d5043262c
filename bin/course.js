#!/usr/bin/env -S node --max-old-space-size=512 --max-semi-space-size=2 --liftoff-only --no-concurrent-recompilation
// `course <command>` (`npm run course -- <command>`, or after `npm link`): the operator's command line,
// run from the compiled JavaScript (compiled first when the sources changed; see build.js).
// Its Node options, the same as package.json's "course" script (the memory benchmark checks that they
// agree): a 512 MB heap ceiling; young-generation semi-spaces of at most 2 MB (V8 otherwise grows them
// to their maximum while a newsletter is sent); and WebAssembly compiled by Liftoff only. fetch, which
// the Resend SDK sends with, parses HTTP answers with llhttp compiled to WebAssembly: optimizing it
// again took about 30 MB of compiler memory in the first batches of a send (10-15 MB of a newsletter's
// peak), for answers of a few hundred bytes. PGlite's WebAssembly runs Liftoff-only anyway. And
// JavaScript optimized on the main thread: compiled on V8's worker threads, the compiler's memory
// went to allocator arenas of their own that kept it (about 4 MB of the peak); the optimizing happens
// in the first seconds, and a send's rate is the same either way.
import { ensureBuilt } from './build.js'

const dist = await ensureBuilt()
await import(`${dist}/cli.js`)
