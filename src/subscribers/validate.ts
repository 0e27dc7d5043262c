import { safeZone } from '../drip/plan'

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

/** The key that makes addresses unique regardless of letter case. */
export function emailKey(email: string): string {
  return email.trim().toLowerCase()
}

/** A name as we store it: trimmed, single line, no control characters, at most 100 characters; empty → null. */
export function cleanName(input: unknown): string | null {
  if (typeof input !== 'string') return null
  const name = input
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 100)
  return name === '' ? null : name
}

/** An IANA time zone as given by the browser, or UTC when missing or unknown (never an error to the user). */
export function cleanTimezone(input: unknown): string {
  return typeof input === 'string' ? safeZone(input.trim().slice(0, 64)) : 'UTC'
}
