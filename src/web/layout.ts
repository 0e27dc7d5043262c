import { ASSET_PATHS } from './assets'
import { html, type SafeHtml } from './html'

export interface PageOptions {
  title: string
  body: SafeHtml
  /** Site name shown in the footer. */
  siteName: string
  /** The page's script file: the signup form's time zone, or the development pages' helpers. */
  script?: 'signup' | 'dev'
  wide?: boolean
  /** For pages worth sharing: a description, a canonical URL and Open Graph tags. */
  meta?: { description: string; canonical: string; type: 'article' | 'website' }
}

/** The description, canonical URL and Open Graph tags of a page people share. */
function shareMeta(title: string, siteName: string, meta: NonNullable<PageOptions['meta']>) {
  return html`<meta name="description" content="${meta.description}">
<link rel="canonical" href="${meta.canonical}">
<meta property="og:title" content="${title}">
<meta property="og:description" content="${meta.description}">
<meta property="og:url" content="${meta.canonical}">
<meta property="og:type" content="${meta.type}">
<meta property="og:site_name" content="${siteName}">
`
}

/** The frame of every page: language, viewport, one stylesheet, no inline script. */
export function page({ title, body, siteName, script, wide, meta }: PageOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · ${siteName}</title>
${meta ? shareMeta(title, siteName, meta) : ''}<link rel="stylesheet" href="${ASSET_PATHS.css}">
<link rel="alternate" type="application/atom+xml" title="${siteName} newsletter" href="/feed.xml">
</head>
<body>
<main${wide ? html` class="wide"` : ''}>
${body}
</main>
<footer><p><a href="/">${siteName}</a> · <a href="/archive">Archive</a> · <a href="/feed.xml">Feed</a></p></footer>
${script ? html`<script src="${script === 'dev' ? ASSET_PATHS.devJs : ASSET_PATHS.js}" defer></script>` : ''}
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
