/**
 * Stand-ins written into an email when it is compiled once, and replaced per recipient by
 * `personalize`. Plain ASCII that neither React nor the HTML-to-text step alters, and that
 * Markdown text cannot produce by accident (lesson bodies are checked for them).
 */
export const PLACEHOLDERS = {
  firstName: '%%FIRST_NAME%%',
  unsubscribeUrl: '%%UNSUBSCRIBE_URL%%',
  preferencesUrl: '%%PREFERENCES_URL%%',
  viewInBrowserUrl: '%%VIEW_URL%%',
  confirmUrl: '%%CONFIRM_URL%%',
  startUrl: '%%START_URL%%',
  offerUrl: '%%OFFER_URL%%',
  nextUrl: '%%NEXT_URL%%',
} as const

export type PlaceholderName = keyof typeof PLACEHOLDERS

/** Matches any placeholder; the capture is its name in upper case. */
export const PLACEHOLDER_PATTERN =
  /%%(FIRST_NAME|UNSUBSCRIBE_URL|PREFERENCES_URL|VIEW_URL|CONFIRM_URL|START_URL|OFFER_URL|NEXT_URL)%%/g
