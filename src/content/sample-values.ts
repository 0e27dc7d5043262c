import { urls, viewInBrowserUrl } from '../lib/links'
import type { CompiledEmail, PersonalValues } from './personalize'

/** Sample values: a reader called Sam, and the site's own addresses with "preview" for each token. */
export function sampleValues(
  baseUrl: string,
  course: string | null,
  slug: string,
  kind: CompiledEmail['kind'],
): PersonalValues {
  const c = course ?? ''
  const token = 'preview'
  const list = kind === 'newsletter' ? 'newsletter' : kind === 'confirmation' ? undefined : c
  return {
    firstName: 'Sam',
    unsubscribeUrl: urls.unsubscribe(baseUrl, token, list),
    preferencesUrl: urls.preferences(baseUrl, token),
    viewInBrowserUrl: viewInBrowserUrl(baseUrl, kind, course, slug, { fromEmail: true }),
    confirmUrl: urls.confirm(baseUrl, token, c),
    startUrl: urls.start(baseUrl, c, token),
    offerUrl: urls.start(baseUrl, c, token),
    nextUrl: urls.next(baseUrl, c, slug, token),
  }
}
