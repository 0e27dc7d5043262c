import { canonicalZone } from '../lib/timezones'

export const EMAIL_MAX_LENGTH = 254

/**
 * Checks an email address as typed and returns it trimmed, or says what is wrong in words a person
 * understands. Deliberately stricter than RFC 5321: no quoted local parts, no IP literals, ASCII only
 * (lookalike letters from other scripts are a classic trick, and many providers refuse them anyway).
 */
export function checkEmail(
  input: unknown,
): { ok: true; email: string; key: string } | { ok: false; message: string } {
  if (typeof input !== 'string' || input.trim() === '')
    return { ok: false, message: 'Please enter your email address.' }
  const email = input.trim()
  if (/[\u0000-\u001f\u007f]/.test(email))
    return { ok: false, message: 'The address contains a line break or control character.' }
  if (email.length > EMAIL_MAX_LENGTH)
    return {
      ok: false,
      message: `That is too long for an email address (${EMAIL_MAX_LENGTH} characters at most).`,
    }
  if (/[^\x20-\x7e]/.test(email)) {
    return {
      ok: false,
      message: 'The address contains non-Latin or accented characters; please check for lookalike letters.',
    }
  }
  const at = email.lastIndexOf('@')
  if (at < 0) return { ok: false, message: 'An email address needs an @, like name@example.com.' }
  const local = email.slice(0, at)
  const domain = email.slice(at + 1).toLowerCase()
  if (
    !/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(local) ||
    local.length > 64
  ) {
    return { ok: false, message: 'The part before the @ is not valid.' }
  }
  const labels = domain.split('.')
  const validLabels = labels.every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label))
  if (
    labels.length < 2 ||
    !validLabels ||
    !/^(?:[a-z]{2,63}|xn--[a-z0-9-]{2,59})$/.test(labels.at(-1) ?? '')
  ) {
    return { ok: false, message: 'The part after the @ is not a valid domain, like example.com.' }
  }
  return { ok: true, email: `${local}@${domain}`, key: `${local.toLowerCase()}@${domain}` }
}

export const NAME_MAX_LENGTH = 50

/**
 * Characters that turn text into something else in an email or a page: line breaks and other
 * controls, invisible and direction-changing marks (U+202E makes "moc.live" read "evil.com"), and
 * zero-width ones.
 */
const HIDDEN_OR_CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u
/** A web or mail address inside the name: `https://…`, `www.…`, `evil.example/…`, `a@b`. */
const ADDRESS_LIKE = /:\/\/|\bwww\.|@|[\p{L}\p{N}]\.[\p{L}]{2,}/iu
/** Characters that mean markup in HTML or Markdown rather than part of anyone's name. */
const MARKUP = /[<>&"`{}[\]\\]/

/**
 * Checks a first name as typed. The name is printed in every email ("Hi Sam,"), so text that a mail
 * app would turn into a link, markup, or invisible characters are refused with a message, not
 * silently changed. Empty or missing is fine: the greeting then says "Hi there,".
 */
export function checkName(
  input: unknown,
): { ok: true; name: string | null } | { ok: false; message: string } {
  if (input === undefined || input === null) return { ok: true, name: null }
  if (typeof input !== 'string') return { ok: false, message: 'Please enter your first name as text.' }
  if (HIDDEN_OR_CONTROL.test(input))
    return { ok: false, message: 'Your name contains invisible or control characters; please type it again.' }
  const name = input.replace(/\s+/g, ' ').trim()
  if (name === '') return { ok: true, name: null }
  if (ADDRESS_LIKE.test(name))
    return { ok: false, message: 'Please enter just your first name, without a web or email address.' }
  if (MARKUP.test(name))
    return { ok: false, message: 'Please leave out < > & " ` { } [ ] and \\ from your name.' }
  if ([...name].length > NAME_MAX_LENGTH)
    return { ok: false, message: `Please keep your name to ${NAME_MAX_LENGTH} characters or fewer.` }
  return { ok: true, name }
}

/**
 * The zone to store for a signup: the canonical name of the zone the browser gave, or UTC when the
 * form carried none (no JavaScript) or an unknown one (never an error to the person signing up).
 */
export function cleanTimezone(input: unknown): string {
  return canonicalZone(input) ?? 'UTC'
}
