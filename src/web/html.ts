import { html as honoHtml, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

/**
 * Pages are built with Hono's `html` template literal: every interpolated value is escaped unless it
 * is itself built by `html` (or marked with `raw`, for trusted markup only), so user input can only
 * ever arrive as text. Hono types the result as possibly asynchronous (for promised values); nothing
 * here interpolates a promise, so the result is the escaped string itself.
 */
export type SafeHtml = HtmlEscapedString

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  return honoHtml(strings, ...values) as SafeHtml
}

export { raw }
