import { urls, viewInBrowserUrl } from '../lib/links'
import { type CompiledEmail, type PersonalValues, personalize } from './personalize'

/**
 * Values for an email shown to nobody in particular (the web archive, `npm run build`): a generic
 * greeting and links to the pages that explain how to manage a subscription, no tokens.
 */
export function webVersionValues(baseUrl: string, compiled: CompiledEmail): PersonalValues {
  return {
    firstName: 'there',
    unsubscribeUrl: urls.unsubscribe(baseUrl),
    preferencesUrl: urls.preferences(baseUrl),
    viewInBrowserUrl: viewInBrowserUrl(baseUrl, compiled.kind, compiled.course, compiled.slug),
    confirmUrl: urls.home(baseUrl),
    startUrl: compiled.course ? urls.course(baseUrl, compiled.course) : urls.home(baseUrl),
    offerUrl: compiled.offer ? urls.course(baseUrl, compiled.offer) : urls.home(baseUrl),
    nextUrl: compiled.course ? urls.course(baseUrl, compiled.course) : urls.home(baseUrl),
  }
}

/** The email as anyone may read it on the web. */
export function renderWebVersion(baseUrl: string, compiled: CompiledEmail) {
  return personalize(compiled, webVersionValues(baseUrl, compiled))
}
