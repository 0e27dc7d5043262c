import { parseArgs } from 'node:util'
import { EventDispatcher } from '../events/dispatch'
import { newSigningSecret } from '../events/sign'
import {
  addEndpoint,
  emitTestEvent,
  eventExists,
  findEndpoint,
  listEndpoints,
  recentDeliveries,
  removeEndpoint,
  replayEvent,
  setEndpointDisabled,
} from '../events/store'
import { checkTarget, checkTargetUrl } from '../events/targets'
import { EVENT_TYPES, isEventType } from '../events/types'
import { systemClock } from '../lib/clock'
import { type CliContext, withRuntime } from './context'
import { EXIT, UsageError, writeLine } from './io'
import { formatTable } from './table'

export const webhooksUsage =
  'course webhooks add <url> [--events E,E…] [--description TEXT]\n' +
  '                                   send events to a URL (all events without --events); prints its signing secret\n' +
  `                                   (events: ${EVENT_TYPES.join(', ')})\n` +
  'course webhooks list [--json]      every endpoint: URL, events, on/off (and why), deliveries pending/succeeded/failed\n' +
  "course webhooks log <id>           an endpoint's latest deliveries: event, status, attempts, answer\n" +
  'course webhooks test <id>          send a webhook.test event to one endpoint now and print its answer\n' +
  'course webhooks replay <event-id> [--endpoint ID]   send an event again\n' +
  'course webhooks enable|disable <id>   turn an endpoint on (what waited goes at once) or off\n' +
  'course webhooks remove <id>        delete an endpoint and its deliveries'

/** `course webhooks …`: outgoing webhooks, delivered by the workers from the database's outbox. */
export async function webhooksCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args
  const handlers: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = {
    add,
    list,
    log,
    test,
    replay,
    enable: (a, c) => toggle(a, c, true),
    disable: (a, c) => toggle(a, c, false),
    remove,
  }
  const handler = sub === undefined ? undefined : handlers[sub]
  if (!handler)
    throw new UsageError(`unknown webhooks command "${sub ?? ''}" (${Object.keys(handlers).join(', ')})`)
  return handler(rest, ctx)
}

function endpointId(positionals: string[]): number {
  const id = Number(positionals[0])
  if (positionals.length !== 1 || !Number.isSafeInteger(id) || id < 1)
    throw new UsageError("give the endpoint's id (the first column of course webhooks list)")
  return id
}

async function add(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { events: { type: 'string' }, description: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  })
  if (positionals.length !== 1) throw new UsageError('give exactly one URL')
  const url = positionals[0]!
  const form = checkTargetUrl(url)
  if (!form.ok) throw new UsageError(form.message)
  const events = (values.events ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
  const unknown = events.find((e) => !isEventType(e))
  if (unknown)
    throw new UsageError(`--events: unknown event "${unknown}" (events: ${EVENT_TYPES.join(', ')})`)
  const config = ctx.config()
  const target = await checkTarget(url, config.outgoingWebhooks.allowInternal)
  if (!target.ok) {
    writeLine(ctx.io.err, `refused: ${target.message}`)
    return EXIT.failed
  }
  return withRuntime(ctx, async (runtime) => {
    const secret = newSigningSecret()
    const endpoint = await addEndpoint(
      runtime.database.db,
      { url: form.url.toString(), events: [...new Set(events)], secret, description: values.description },
      new Date(),
    )
    writeLine(ctx.io.out, secret)
    writeLine(
      ctx.io.err,
      `endpoint ${endpoint.id} added for ${events.length === 0 ? 'every event' : events.join(', ')}. ` +
        'The line above is its signing secret (Standard Webhooks): give it to the receiver to verify ' +
        `webhook-signature. course webhooks test ${endpoint.id} sends a test event now.`,
    )
    return EXIT.ok
  })
}

async function list(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true })
  return withRuntime(ctx, async (runtime) => {
    const endpoints = (await listEndpoints(runtime.database.db)).map(({ secret: _secret, ...rest }) => rest)
    if (values.json) {
      writeLine(ctx.io.out, JSON.stringify(endpoints, null, 2))
      return EXIT.ok
    }
    writeLine(
      ctx.io.out,
      endpoints.length === 0
        ? '(no webhook endpoints: course webhooks add <url>)'
        : formatTable(
            ['id', 'url', 'events', 'state', 'pending', 'succeeded', 'failed', 'last attempt'],
            endpoints.map((e) => [
              e.id,
              e.url,
              e.events.length === 0 ? 'all' : e.events.join(','),
              e.disabled_at ? `DISABLED ${e.disabled_at.toISOString().slice(0, 16)}` : 'on',
              e.pending,
              e.succeeded,
              e.failed,
              e.last_attempt_at ? e.last_attempt_at.toISOString().slice(0, 19).replace('T', ' ') : '-',
            ]),
          ),
    )
    for (const e of endpoints)
      if (e.disabled_reason) writeLine(ctx.io.out, `endpoint ${e.id} is off: ${e.disabled_reason}`)
    return EXIT.ok
  })
}

async function log(args: string[], ctx: CliContext): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, strict: true, allowPositionals: true })
  const id = endpointId(positionals)
  return withRuntime(ctx, async (runtime) => {
    const db = runtime.database.db
    if (!(await findEndpoint(db, id))) return noEndpoint(ctx, id)
    const rows = await recentDeliveries(db, id, 50)
    writeLine(
      ctx.io.out,
      rows.length === 0
        ? '(no deliveries yet)'
        : formatTable(
            ['event', 'type', 'status', 'attempts', 'answer', 'last attempt'],
            rows.map((r) => [
              r.event_id,
              r.type,
              r.status,
              r.attempts,
              r.last_error ?? (r.last_status === null ? '-' : String(r.last_status)),
              r.last_attempt_at ? r.last_attempt_at.toISOString().slice(0, 19).replace('T', ' ') : '-',
            ]),
          ),
    )
    return EXIT.ok
  })
}

async function test(args: string[], ctx: CliContext): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, strict: true, allowPositionals: true })
  const id = endpointId(positionals)
  const config = ctx.config()
  return withRuntime(ctx, async (runtime) => {
    const db = runtime.database.db
    const endpoint = await findEndpoint(db, id)
    if (!endpoint) return noEndpoint(ctx, id)
    const { eventId, deliveryId } = await emitTestEvent(db, id, new Date())
    const dispatcher = new EventDispatcher({
      db,
      clock: systemClock,
      logger: ctx.logger('warn'),
      settings: {
        workerId: `${config.workerId}:cli`,
        leaseMs: 60_000,
        timeoutMs: 10_000,
        batchSize: 1,
        allowInternal: config.outgoingWebhooks.allowInternal,
      },
    })
    await dispatcher.deliverNow([deliveryId])
    const [row] = (await recentDeliveries(db, id, 5)).filter((r) => r.event_id === eventId)
    if (row?.status === 'succeeded') {
      writeLine(ctx.io.out, `delivered ${eventId} to ${endpoint.url}: answered ${row.last_status}.`)
      return EXIT.ok
    }
    writeLine(
      ctx.io.err,
      `${endpoint.url} did not accept ${eventId}: ${row?.last_error ?? 'no attempt was made'}. ` +
        'The workers retry it with backoff; course webhooks log shows each attempt.',
    )
    return EXIT.failed
  })
}

async function replay(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { endpoint: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  })
  if (positionals.length !== 1) throw new UsageError('give one event id (evt_…, from course webhooks log)')
  const eventId = positionals[0]!
  const endpoint = values.endpoint === undefined ? undefined : endpointId([values.endpoint])
  return withRuntime(ctx, async (runtime) => {
    const db = runtime.database.db
    if (!(await eventExists(db, eventId))) {
      writeLine(ctx.io.err, `no event ${eventId.slice(0, 60)} (events are kept 30 days).`)
      return EXIT.failed
    }
    const n = await replayEvent(db, eventId, new Date(), endpoint)
    writeLine(
      ctx.io.out,
      n === 0
        ? `event ${eventId} has no delivery${endpoint ? ` to endpoint ${endpoint}` : ''} to replay.`
        : `event ${eventId} queued again for ${n} endpoint(s); the workers deliver it within seconds.`,
    )
    return n === 0 ? EXIT.failed : EXIT.ok
  })
}

async function toggle(args: string[], ctx: CliContext, on: boolean): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, strict: true, allowPositionals: true })
  const id = endpointId(positionals)
  return withRuntime(ctx, async (runtime) => {
    const db = runtime.database.db
    if (!(await findEndpoint(db, id))) return noEndpoint(ctx, id)
    const now = new Date()
    await setEndpointDisabled(
      db,
      id,
      on ? null : { at: now, reason: 'turned off with course webhooks disable' },
      now,
    )
    writeLine(
      ctx.io.out,
      on ? `endpoint ${id} is on; what waited goes now.` : `endpoint ${id} is off; events wait for it.`,
    )
    return EXIT.ok
  })
}

async function remove(args: string[], ctx: CliContext): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, strict: true, allowPositionals: true })
  const id = endpointId(positionals)
  return withRuntime(ctx, async (runtime) => {
    if (!(await removeEndpoint(runtime.database.db, id))) return noEndpoint(ctx, id)
    writeLine(ctx.io.out, `endpoint ${id} removed with its deliveries.`)
    return EXIT.ok
  })
}

function noEndpoint(ctx: CliContext, id: number): number {
  writeLine(ctx.io.err, `no webhook endpoint ${id} (course webhooks list shows them).`)
  return EXIT.failed
}
