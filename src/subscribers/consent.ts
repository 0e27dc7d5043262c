import { createHash } from 'node:crypto'

/** The exact words people agree to on the signup form. */
export const CONSENT_TEXT =
  'Send me the free email course (one short lesson every few days) and the occasional newsletter. ' +
  'I can turn the newsletter off or unsubscribe at any time, with one click.'

/** Recorded with each signup: changes whenever the wording changes, so every consent can be traced to its text. */
export const CONSENT_VERSION = `form-${createHash('sha256').update(CONSENT_TEXT).digest('hex').slice(0, 10)}`
