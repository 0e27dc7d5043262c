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
 * One member's email, from the content compiled once. Tokens are derived from stable data (a
 * confirmation or invitation link expires 7 days after its delivery was queued), so a retry builds the
 * same email. Returns null if its content no longer exists.
 *
 * Each kind's unsubscribe link (and one-click List-Unsubscribe) leaves what the email belongs to: a
 * lesson its course, an invitation the course it offers (declining it: whoever typed the address into
 * the form, other courses go on), an issue the newsletter; a confirmation stops everything (the address
 * is on no list yet, and the owner of the mailbox can opt out at once).
 */
export function composeEmail(
  member: Member,
  content: Content,
  settings: ComposeSettings,
): OutgoingEmail | null {
  const compiled = content.compiled(member.kind, member.course, member.item)
  if (!compiled) return null
  const { baseUrl, secret } = settings
  const id = member.subscriber_id
  const expiry = new Date(member.created_at.getTime() + CONFIRM_TOKEN_TTL_MS)
  const list =
    member.kind === 'lesson' || member.kind === 'invitation'
      ? (member.course ?? undefined)
      : member.kind === 'newsletter'
        ? 'newsletter'
        : undefined
  const unsubscribeToken = createToken(secret, list ? `leave:${list}` : 'unsubscribe', id)
  const unsubscribeUrl = urls.unsubscribe(baseUrl, unsubscribeToken, list)
  const course = member.course ?? ''
  const { subject, html, text } = personalize(compiled, {
    firstName: greetingName(member.name),
    unsubscribeUrl,
    preferencesUrl: urls.preferences(baseUrl, createToken(secret, 'preferences', id)),
    viewInBrowserUrl: viewInBrowserUrl(baseUrl, member.kind, member.course, member.item ?? '', {
      fromEmail: true,
    }),
    confirmUrl:
      member.kind === 'confirmation'
        ? urls.confirm(baseUrl, createToken(secret, `confirm:${course}`, id, expiry), course)
        : '',
    startUrl:
      member.kind === 'invitation'
        ? urls.start(baseUrl, course, createToken(secret, `start:${course}`, id, expiry))
        : '',
    offerUrl: compiled.offer
      ? urls.start(baseUrl, compiled.offer, createToken(secret, `start:${compiled.offer}`, id))
      : '',
    nextUrl: compiled.nextNow
      ? urls.next(baseUrl, course, member.item ?? '', createToken(secret, `next:${course}`, id))
      : '',
  })
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
      ...(member.course === null ? [] : [{ name: 'course', value: tagValue(member.course) }]),
      ...(member.item === null ? [] : [{ name: member.kind, value: tagValue(member.item) }]),
      { name: 'subscriber', value: String(id) },
      { name: 'delivery', value: String(member.id) },
    ],
  }
}
