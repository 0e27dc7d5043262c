import type { Content } from '../content/catalog'
import { greetingName, personalize } from '../content/personalize'
import { CONFIRM_TOKEN_TTL_MS, createToken, urls, viewInBrowserUrl } from '../lib/links'
import { listUnsubscribeHeaders, tagValue } from '../mail/headers'
import type { OutgoingEmail } from '../mail/mailer'
import type { Member } from './store/batches'

export interface ComposeSettings {
  baseUrl: string
  from: string
  replyTo: string | undefined
  secret: string
}

/**
 * One member's email, from the content compiled once. Tokens are derived from stable data (the
 * confirmation link expires 7 days after its delivery was queued), so a retry builds the same email.
 * Returns null if its content no longer exists.
 */
export function composeEmail(
  member: Member,
  content: Content,
  settings: ComposeSettings,
): OutgoingEmail | null {
  const compiled = content.compiled(member.kind, member.item ?? '')
  if (!compiled) return null
  const { baseUrl, secret } = settings
  const unsubscribeToken = createToken(secret, 'unsubscribe', member.subscriber_id)
  const unsubscribeUrl = urls.unsubscribe(baseUrl, unsubscribeToken)
  const confirmExpiry = new Date(member.created_at.getTime() + CONFIRM_TOKEN_TTL_MS)
  const { subject, html, text } = personalize(compiled, {
    firstName: greetingName(member.name),
    unsubscribeUrl,
    preferencesUrl: urls.preferences(baseUrl, createToken(secret, 'preferences', member.subscriber_id)),
    viewInBrowserUrl: viewInBrowserUrl(baseUrl, member.kind, member.item ?? ''),
    confirmUrl:
      member.kind === 'confirmation'
        ? urls.confirm(baseUrl, createToken(secret, 'confirm', member.subscriber_id, confirmExpiry))
        : '',
  })
  // Every email carries one-click unsubscribe (RFC 8058). On the confirmation it lets someone whose
  // address a stranger typed into the form opt out at once (later signups of it: one confirmation a day).
  const headers = listUnsubscribeHeaders({
    url: unsubscribeUrl,
    from: settings.from,
    token: unsubscribeToken,
  })
  return {
    from: settings.from,
    to: member.email,
    subject,
    html,
    text,
    ...(settings.replyTo ? { replyTo: settings.replyTo } : {}),
    headers,
    ref: String(member.id),
    tags: [
      { name: 'kind', value: member.kind },
      ...(member.item === null ? [] : [{ name: member.kind, value: tagValue(member.item) }]),
      { name: 'subscriber', value: String(member.subscriber_id) },
      { name: 'delivery', value: String(member.id) },
    ],
  }
}
