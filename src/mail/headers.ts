/** The address inside "Name <addr@host>" (or the whole string if there are no brackets). */
export function addressOf(mailbox: string): string {
  const match = /<([^<>]+)>\s*$/.exec(mailbox)
  return (match ? match[1] : mailbox)?.trim() ?? mailbox
}

/**
 * RFC 2369 / RFC 8058 headers for one-click unsubscribe: an https URL that accepts
 * `POST List-Unsubscribe=One-Click`, plus a mailto when the sender address can receive replies.
 */
export function listUnsubscribeHeaders(options: {
  url: string
  from: string
  token: string
}): Record<string, string> {
  const address = addressOf(options.from)
  const canReceive =
    !/^(no-?reply|do-?not-?reply)@/i.test(address) && !/@(example\.(com|org|net)|localhost)$/i.test(address)
  const mailto = canReceive
    ? `, <mailto:${address}?subject=${encodeURIComponent(`unsubscribe ${options.token}`)}>`
    : ''
  return {
    'List-Unsubscribe': `<${options.url}>${mailto}`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  }
}

/** Tag values allowed by the provider: ASCII letters, digits, `_` and `-`, at most 256 characters. */
export function tagValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) || '_'
}
