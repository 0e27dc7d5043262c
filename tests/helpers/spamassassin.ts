import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** The spamassassin command (SPAMASSASSIN_PATH overrides, as CHROMIUM_PATH does for the browser). */
const COMMAND = process.env.SPAMASSASSIN_PATH ?? 'spamassassin'

/** CI sets this: a missing SpamAssassin must fail the run there, not quietly drop the check. */
export const SPAMASSASSIN_REQUIRED = process.env.REQUIRE_SPAMASSASSIN === '1'

function detect(): { version: string } | { problem: string } {
  const result = spawnSync(COMMAND, ['--version'], { encoding: 'utf8', timeout: 30_000 })
  if (result.error) return { problem: result.error.message }
  if (result.status !== 0) return { problem: `exit ${result.status}: ${result.stderr.trim()}` }
  const version = /SpamAssassin version (\S+)/.exec(result.stdout)?.[1]
  return version ? { version } : { problem: `unexpected --version output: ${result.stdout.trim()}` }
}

const found = detect()

/** SpamAssassin's version, or null when it cannot run here (the problem is in SPAMASSASSIN_PROBLEM). */
export const SPAMASSASSIN_VERSION: string | null = 'version' in found ? found.version : null
export const SPAMASSASSIN_PROBLEM: string | null = 'problem' in found ? found.problem : null

if (SPAMASSASSIN_PROBLEM) {
  const lines = [
    'SPAM FILTER CHECKS CANNOT RUN ON THIS MACHINE',
    `"${COMMAND}" did not run (${SPAMASSASSIN_PROBLEM}).`,
    'Email spam scores are NOT checked (apt-get install -y spamassassin).',
  ]
  const width = Math.max(...lines.map((line) => line.length)) + 4
  process.stderr.write(
    `\n${'!'.repeat(width)}\n${lines.map((line) => `! ${line.padEnd(width - 4)} !`).join('\n')}\n${'!'.repeat(width)}\n\n`,
  )
}

/** One rule that fired, as SpamAssassin's report lists it. */
export interface SpamRule {
  name: string
  points: number
  description: string
}

export interface SpamReport {
  score: number
  required: number
  rules: SpamRule[]
}

/**
 * Reads the "Content analysis details" table that `spamassassin -t` appends: the summary line, then
 * one row per rule between the dashed line and the next blank line (descriptions may wrap onto
 * indented lines; the original message follows further down and is not read).
 */
export function parseSpamReport(output: string): SpamReport {
  const summary = /Content analysis details:\s+\((-?[\d.]+) points, (-?[\d.]+) required\)/.exec(output)
  if (!summary) throw new Error(`no SpamAssassin report in its output:\n${output.slice(-2000)}`)
  const lines = output.slice(summary.index).split(/\r?\n/)
  const start = lines.findIndex((line) => /^-{3,} -{3,}/.test(line))
  const rules: SpamRule[] = []
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break
    const row = /^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]{2,})\s+(.*)$/.exec(line)
    if (row)
      rules.push({ points: Number(row[1]), name: row[2] as string, description: (row[3] as string).trim() })
    else if (rules.length > 0) (rules.at(-1) as SpamRule).description += ` ${line.trim()}`
  }
  return { score: Number(summary[1]), required: Number(summary[2]), rules }
}

/**
 * Scores messages with local rules only (`-L`: no DNS blocklists or other network tests; there is no
 * network here and results must not depend on one). Runs in a temporary HOME so that the user's own
 * ~/.spamassassin is never read or written.
 */
export class SpamAssassin {
  readonly #home = mkdtempSync(path.join(tmpdir(), 'course-spamassassin-'))
  readonly #prefs = path.join(this.#home, 'user_prefs')

  constructor() {
    // Empty preferences: only the site's rules apply (and SpamAssassin does not announce creating them).
    writeFileSync(this.#prefs, '')
  }

  score(message: Buffer): Promise<SpamReport> {
    const args = [
      '-L',
      '-t',
      '-p',
      this.#prefs,
      // An empty Bayes database decides nothing, and parallel runs would contend for its lock.
      '--cf=use_bayes 0',
      '--cf=bayes_auto_learn 0',
    ]
    return new Promise((resolve, reject) => {
      const child = spawn(COMMAND, args, {
        env: { ...process.env, HOME: this.#home },
        stdio: ['pipe', 'pipe', 'pipe'],
      })
      const out: Buffer[] = []
      const err: Buffer[] = []
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
      child.on('error', reject)
      child.on('close', (code) => {
        clearTimeout(timer)
        const stdout = Buffer.concat(out).toString('utf8')
        // -t exits 0 for ham and 1 for spam; anything else is SpamAssassin failing.
        if (code !== 0 && code !== 1) {
          reject(
            new Error(`spamassassin exited ${code}: ${Buffer.concat(err).toString('utf8').slice(-2000)}`),
          )
          return
        }
        try {
          resolve(parseSpamReport(stdout))
        } catch (error) {
          reject(error)
        }
      })
      child.stdin.end(message)
    })
  }

  close(): void {
    rmSync(this.#home, { recursive: true, force: true })
  }
}
