import { buildCommand, buildUsage } from './build'
import type { CliContext } from './context'
import { coursesCommand, coursesUsage } from './courses'
import { dbCommand, dbUsage } from './db'
import { keysCommand, keysUsage } from './keys'
import { newsletterCommand, newsletterUsage } from './newsletter'
import { runDueCommand, runDueUsage } from './run-due'
import { simulateCommand, simulateUsage } from './simulate'
import { statsCommand, statsUsage } from './stats'
import { statusCommand, statusUsage } from './status'
import { subscribersCommand, subscribersUsage } from './subscribers'
import { webhooksCommand, webhooksUsage } from './webhooks'

export interface Command {
  usage: string
  run(args: string[], ctx: CliContext): Promise<number>
}

/** Every `course` command. Long-running ones (web, worker) are in cli.ts. */
export const COMMANDS: Record<string, Command> = {
  build: { usage: buildUsage, run: (args, ctx) => buildCommand(args, ctx.io, ctx.config()) },
  courses: { usage: coursesUsage, run: coursesCommand },
  'run-due': { usage: runDueUsage, run: runDueCommand },
  simulate: { usage: simulateUsage, run: simulateCommand },
  status: { usage: statusUsage, run: statusCommand },
  newsletter: { usage: newsletterUsage, run: newsletterCommand },
  subscribers: { usage: subscribersUsage, run: subscribersCommand },
  stats: { usage: statsUsage, run: statsCommand },
  db: { usage: dbUsage, run: dbCommand },
  keys: { usage: keysUsage, run: keysCommand },
  webhooks: { usage: webhooksUsage, run: webhooksCommand },
}
