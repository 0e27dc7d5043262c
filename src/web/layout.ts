import { ASSET_PATHS } from './assets'
import { html, type SafeHtml } from './html'

export interface PageOptions {
  title: string
  body: SafeHtml
  /** Site name shown in the footer. */
  siteName: string
  script?: boolean
  wide?: boolean
}

/** The frame of every page: language, viewport, one stylesheet, no inline script. */
export function page({ title, body, siteName, script, wide }: PageOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · ${siteName}</title>
<link rel="stylesheet" href="${ASSET_PATHS.css}">
<link rel="alternate" type="application/atom+xml" title="${siteName} newsletter" href="/feed.xml">
</head>
<body>
<main${wide ? html` class="wide"` : ''}>
${body}
</main>
<footer><p><a href="/">${siteName}</a> · <a href="/archive">Archive</a> · <a href="/feed.xml">Feed</a></p></footer>
${script ? html`<script src="${ASSET_PATHS.js}" defer></script>` : ''}
</body>
</html>
`.toString()
}

/** A short page with a heading and a few paragraphs (results, errors). */
export function messagePage(siteName: string, title: string, ...paragraphs: (string | SafeHtml)[]): string {
  return page({
    title,
    siteName,
    body: html`<h1>${title}</h1>${paragraphs.map((p) => html`<p>${p}</p>`)}<p><a href="/">Back to the start page</a></p>`,
  })
}
