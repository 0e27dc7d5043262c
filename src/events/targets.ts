import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

/**
 * Where outgoing webhooks may go: http(s) URLs only, and (unless allowed) no private, loopback,
 * link-local or otherwise internal address, checked again at each delivery (a name may point
 * elsewhere by then).
 */

const INTERNAL = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv6')

/** Whether an IP address is private, loopback, link-local or otherwise not on the internet. */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return INTERNAL.check(mapped[1]!, 'ipv4')
  const family = isIP(address)
  if (family === 0) return false
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

export type TargetCheck = { ok: true; url: URL } | { ok: false; message: string }

/** Checks the form of an endpoint's URL (no lookup). */
export function checkTargetUrl(value: string): TargetCheck {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return { ok: false, message: `"${value}" is not a URL (expected https://…)` }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, message: `only http and https URLs can receive webhooks, not ${url.protocol}` }
  if (url.username || url.password)
    return { ok: false, message: 'the URL must not carry a user name or password' }
  return { ok: true, url }
}

/** Refuses a URL whose host is, or resolves to, an internal address (unless `allowInternal`). */
export async function checkTarget(value: string, allowInternal: boolean): Promise<TargetCheck> {
  const form = checkTargetUrl(value)
  if (!form.ok || allowInternal) return form
  const host = form.url.hostname.replace(/^\[|\]$/g, '')
  let addresses: string[]
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address)
  } catch (error) {
    return {
      ok: false,
      message: `${host} cannot be resolved (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    }
  }
  const internal = addresses.find(isInternalAddress)
  if (internal)
    return {
      ok: false,
      message: `${host} is an internal address (${internal}): refused in production unless WEBHOOKS_ALLOW_INTERNAL=true`,
    }
  return form
}
