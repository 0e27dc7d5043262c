#!/usr/bin/env node
// `course <command>` after `npm link` (or from node_modules/.bin): runs the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli.ts')
