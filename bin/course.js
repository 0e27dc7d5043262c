#!/usr/bin/env -S node --max-old-space-size=512
// `course <command>` after `npm link` (or from node_modules/.bin): runs the TypeScript CLI through tsx,
// with the same heap setting as `npm run course` (see the README's Performance section).
import { register } from 'tsx/esm/api'

register()
await import('../src/cli.ts')
