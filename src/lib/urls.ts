/** Every public URL the project puts in emails and pages, built in one place. */
export const urls = {
  home: (base: string) => `${base}/`,
  archive: (base: string) => `${base}/archive`,
  feed: (base: string) => `${base}/feed.xml`,
  lesson: (base: string, slug: string) => `${base}/lessons/${encodeURIComponent(slug)}`,
  newsletter: (base: string, slug: string) => `${base}/newsletters/${encodeURIComponent(slug)}`,
  confirm: (base: string, token: string) => `${base}/confirm?token=${encodeURIComponent(token)}`,
  unsubscribe: (base: string, token?: string) =>
    token ? `${base}/unsubscribe?token=${encodeURIComponent(token)}` : `${base}/unsubscribe`,
  preferences: (base: string, token?: string) =>
    token ? `${base}/preferences?token=${encodeURIComponent(token)}` : `${base}/preferences`,
}

/** The link to an email's public web version (no personal data in it). */
export function viewInBrowserUrl(
  base: string,
  kind: 'lesson' | 'newsletter' | 'confirmation',
  slug: string,
): string {
  if (kind === 'lesson') return urls.lesson(base, slug)
  if (kind === 'newsletter') return urls.newsletter(base, slug)
  return urls.home(base)
}
