import { parseArgs } from 'node:util'
import { createKey, isScope, listKeys, revokeKey, SCOPES, type Scope } from '../access/keys'
import { type CliContext, withRuntime } from './context'
import { EXIT, UsageError, writeLine } from './io'
import { formatTable } from './table'

export const keysUsage =
  `course keys create --name NAME --scopes S[,S…]   a new API key, printed once (scopes: ${SCOPES.join(', ')})\n` +
  'course keys list [--json]          every key: name, prefix, scopes, created, last used, revoked\n' +
  'course keys revoke <prefix>        the key stops working at once'

/** `course keys create|list|revoke`: the HTTP API's keys (only a hash and a short prefix are stored). */
export async function keysCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args
  switch (sub) {
    case 'create':
      return create(rest, ctx)
    case 'list':
      return list(rest, ctx)
    case 'revoke':
      return revoke(rest, ctx)
    default:
      throw new UsageError(`unknown keys command "${sub ?? ''}" (create, list, revoke)`)
  }
}

async function create(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { name: { type: 'string' }, scopes: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  })
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
  const name = values.name?.trim() ?? ''
  if (name === '' || name.length > 100 || /[\u0000-\u001f]/.test(name))
    throw new UsageError('--name: give the key a name of 1 to 100 characters (what uses it: "shop", "crm")')
  const scopes = (values.scopes ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (scopes.length === 0) throw new UsageError(`--scopes: give one or more of ${SCOPES.join(', ')}`)
  const unknown = scopes.filter((s) => !isScope(s))
  if (unknown.length > 0)
    throw new UsageError(`--scopes: unknown scope "${unknown[0]}" (scopes: ${SCOPES.join(', ')})`)
  return withRuntime(ctx, async (runtime) => {
    const { key: secret, record: key } = await createKey(
      runtime.database.db,
      { name, scopes: [...new Set(scopes)] as Scope[] },
      new Date(),
    )
    writeLine(ctx.io.out, secret)
    writeLine(
      ctx.io.err,
      `created key ck_${key.prefix} "${key.name}" with ${key.scopes.join(', ')}. ` +
        'It is shown once: store it now (only a hash is kept). Send it as Authorization: Bearer <key>.',
    )
    return EXIT.ok
  })
}

async function list(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true })
  return withRuntime(ctx, async (runtime) => {
    const keys = await listKeys(runtime.database.db)
    if (values.json) {
      writeLine(ctx.io.out, JSON.stringify(keys, null, 2))
      return EXIT.ok
    }
    const when = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '-')
    writeLine(
      ctx.io.out,
      keys.length === 0
        ? '(no API keys: course keys create --name NAME --scopes …)'
        : formatTable(
            ['prefix', 'name', 'scopes', 'created', 'last used', 'revoked'],
            keys.map((k) => [
              `ck_${k.prefix}`,
              k.name,
              k.scopes.join(','),
              when(k.created_at),
              when(k.last_used_at),
              when(k.revoked_at),
            ]),
          ),
    )
    return EXIT.ok
  })
}

async function revoke(args: string[], ctx: CliContext): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, strict: true, allowPositionals: true })
  if (positionals.length !== 1)
    throw new UsageError('give the prefix of the key to revoke (course keys list)')
  // The prefix as listed, or the start of the key itself: ck_<prefix>_…
  const prefix = positionals[0]!.replace(/^ck_/, '').split('_')[0]!
  return withRuntime(ctx, async (runtime) => {
    const key = await revokeKey(runtime.database.db, prefix, new Date())
    if (!key) {
      writeLine(ctx.io.err, `no key with prefix "${prefix.slice(0, 40)}" (course keys list shows them).`)
      return EXIT.failed
    }
    writeLine(ctx.io.out, `revoked ck_${key.prefix} "${key.name}": requests with it now get 401.`)
    return EXIT.ok
  })
}
