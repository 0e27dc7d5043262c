import { execFileSync, spawn, spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** A copy of the project's sources and launchers in a folder of its own (node_modules linked). */
function copyProject(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'course-build-'))
  for (const entry of ['bin', 'src', 'emails', 'package.json', 'package-lock.json', 'tsconfig.json'])
    cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true })
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'))
  return dir
}

describe('the compiled JavaScript that npm start and the CLI run', () => {
  it('is compiled on first use, reused while the sources are unchanged, compiled again after an edit', () => {
    const dir = copyProject()
    const build = () => execFileSync(process.execPath, ['bin/build.js'], { cwd: dir, encoding: 'utf8' })
    const builds = () => readdirSync(path.join(dir, 'dist', 'js')).filter((name) => !name.includes('.tmp-'))
    expect(build()).toMatch(/compiled JavaScript in dist\/js\/[0-9a-f]{16}/)
    expect(builds()).toHaveLength(1)
    const [first] = builds()
    expect(existsSync(path.join(dir, 'dist', 'js', first!, 'main.js'))).toBe(true)
    build()
    expect(builds()).toEqual([first])
    // An edit (a newer modification time is enough) makes a new build beside the old one.
    const file = path.join(dir, 'src', 'lib', 'clock.ts')
    const later = new Date(Date.now() + 5000)
    utimesSync(file, later, later)
    build()
    expect(builds()).toHaveLength(2)
    // The launcher runs the current build: the CLI answers from it.
    const help = execFileSync(process.execPath, ['bin/course.js', 'help'], { cwd: dir, encoding: 'utf8' })
    expect(help).toContain('usage: npm run course')
  })

  it('a source that does not compile is named with its line, in one message, exit 1', () => {
    const dir = copyProject()
    writeFileSync(path.join(dir, 'src', 'lib', 'broken.ts'), 'export const x = (\n')
    writeFileSync(
      path.join(dir, 'src', 'cli.ts'),
      `import './lib/broken'\n${readFileSync(path.join(dir, 'src', 'cli.ts'), 'utf8')}`,
    )
    const run = spawnSync(process.execPath, ['bin/course.js', 'help'], { cwd: dir, encoding: 'utf8' })
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/Cannot compile the sources into .*dist\/js/)
    expect(run.stderr).toMatch(/src\/lib\/broken\.ts:2: /)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  it('several processes starting at once on unbuilt sources all run, from one identical build', async () => {
    const dir = copyProject()
    const runs = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<{ code: number | null; out: string }>((resolve) => {
            const child = spawn(process.execPath, ['bin/course.js', 'help'], { cwd: dir })
            let out = ''
            child.stdout.on('data', (chunk) => {
              out += chunk
            })
            child.on('exit', (code) => resolve({ code, out }))
          }),
      ),
    )
    for (const run of runs) {
      expect(run.code).toBe(0)
      expect(run.out).toContain('usage: npm run course')
    }
    expect(readdirSync(path.join(dir, 'dist', 'js')).filter((name) => !name.includes('.tmp-'))).toHaveLength(
      1,
    )
  })
})
