import { createInterface } from 'node:readline/promises'
import type { CliIo } from './io'

/**
 * Asks a yes/no question on the terminal. Without a terminal (scripts, CI, no standard input) it
 * answers null: the caller refuses rather than guessing.
 */
export async function confirmOnTerminal(io: CliIo, question: string): Promise<boolean | null> {
  if (!io.stdin.isTTY) return null
  const rl = createInterface({ input: io.stdin, output: io.err })
  try {
    const answer = await rl.question(`${question} Type "yes" to continue: `)
    return answer.trim().toLowerCase() === 'yes'
  } finally {
    rl.close()
  }
}
