import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Storage tests share the one PostgreSQL server (each in its own schema); PGlite instances are
    // heavy, so keep a modest number of files in flight on small machines.
    maxWorkers: 2,
    pool: 'forks',
    // Memory tests measure what stays alive after a collection, not where the collector happened to be.
    execArgv: ['--expose-gc'],
  },
})
