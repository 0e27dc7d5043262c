import { micromark } from 'micromark'
import type { SafeHtml } from './html'
import { raw } from './html'

/**
 * Markdown (a lesson, an issue, a course's page text) as HTML for the site's pages. The content was
 * checked when it was loaded (no raw HTML, safe links); micromark also refuses raw HTML and unsafe
 * link protocols on its own (its defaults), so nothing the author typed can become script here.
 */
export function markdownHtml(markdown: string): SafeHtml {
  return raw(micromark(markdown))
}
