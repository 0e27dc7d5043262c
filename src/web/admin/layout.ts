import type { Context } from 'hono'
import { DateTime } from 'luxon'
import type { AuditRecord } from '../../audit/log'
import type { Mailer } from '../../mail/mailer'
import { ASSET_PATHS } from '../assets'
import type { WebDeps } from '../deps'
import { html, type SafeHtml } from '../html'
import { ADMIN_ASSETS } from './assets'

/** What the admin needs beyond the web app's own dependencies (wired by the composition root). */
export interface AdminTools {
  /** Sends "a test to …" copies of an issue; without it the admin says how to switch them on. */
  mailer?: Mailer
}

/** What every admin page module gets: the app's dependencies, the tools, and the audit log's pen. */
export interface Admin {
  deps: WebDeps
  tools: AdminTools
  site: string
  now(): Date
  /** Records an action of the admin in the audit log (who: "admin"). */
  audit(record: Omit<AuditRecord, 'actor'>): Promise<void>
}

/** The admin's sections, in the order of its menu. */
export const SECTIONS = [
  { key: 'overview', href: '/admin', label: 'Overview' },
  { key: 'readers', href: '/admin/readers', label: 'Readers' },
  { key: 'newsletters', href: '/admin/newsletters', label: 'Newsletters' },
  { key: 'courses', href: '/admin/courses', label: 'Courses' },
  { key: 'health', href: '/admin/health', label: 'Sending health' },
  { key: 'audit', href: '/admin/audit', label: 'Audit log' },
] as const

export type Section = (typeof SECTIONS)[number]['key']

/**
 * The frame of every admin page: a skip link, the site's and the admin's stylesheets, the menu (the
 * current section marked), a logout button, one `main`, and the admin script (same origin, deferred).
 */
export function adminPage(options: {
  site: string
  title: string
  section: Section
  body: SafeHtml
  notice?: SafeHtml | string | null
}): string {
  const { site, title, section, body, notice } = options
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${title} · Admin · ${site}</title>
<link rel="stylesheet" href="${ASSET_PATHS.css}">
<link rel="stylesheet" href="${ADMIN_ASSETS.css}">
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header class="admin-header"><div class="bar">
<span class="brand">${site} · admin</span>
<nav aria-label="Admin sections"><ul>${SECTIONS.map(
    (s) =>
      html`<li><a href="${s.href}"${s.key === section ? html` aria-current="page"` : ''}>${s.label}</a></li>`,
  )}</ul></nav>
<form method="post" action="/admin/logout"><button type="submit" class="secondary">Log out</button></form>
</div></header>
<main id="content" class="wide admin">
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${body}
</main>
<script src="${ADMIN_ASSETS.js}" defer></script>
</body>
</html>
`.toString()
}

/** An instant in a zone, as people read it: `2027-01-05 09:00 CET`. */
export function formatTime(instant: Date | null | undefined, zone = 'UTC'): string {
  if (!instant) return ''
  const local = DateTime.fromJSDate(instant, { zone })
  return (local.isValid ? local : DateTime.fromJSDate(instant, { zone: 'UTC' })).toFormat(
    'yyyy-MM-dd HH:mm ZZZZ',
  )
}

/** A count with thousands separators. */
export const count = (n: number) => n.toLocaleString('en-US')

/** A column of {@link dataTable}: its heading, and whether it holds numbers (right-aligned). */
export interface TableColumn {
  label: string
  numeric?: boolean
}

/**
 * A table that stacks into labelled rows on a phone (each cell carries its column's name), so nothing
 * scrolls sideways at 375 px.
 */
export function dataTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly (SafeHtml | string | number)[])[],
  options: { caption?: string; empty?: string } = {},
): SafeHtml {
  const cls = (i: number) => (columns[i]?.numeric ? html` class="num"` : '')
  return html`<table class="stack">${options.caption ? html`<caption class="visually-hidden">${options.caption}</caption>` : ''}
<thead><tr>${columns.map((c, i) => html`<th scope="col"${cls(i)}>${c.label}</th>`)}</tr></thead>
<tbody>${
    rows.length === 0
      ? html`<tr><td colspan="${columns.length}" class="muted">${options.empty ?? 'Nothing yet.'}</td></tr>`
      : rows.map(
          (row) =>
            html`<tr>${row.map((cell, i) => html`<td data-label="${columns[i]?.label ?? ''}"${cls(i)}>${typeof cell === 'number' ? count(cell) : cell}</td>`)}</tr>`,
        )
  }</tbody>
</table>`
}

/** A positive whole number from a path or query parameter, or undefined. */
export function idParam(value: string | undefined): number | undefined {
  if (!value || !/^\d{1,15}$/.test(value)) return undefined
  const id = Number(value)
  return id > 0 ? id : undefined
}

/** A text field of a posted form (trimmed), or '' when absent or a file. */
export async function formFields(c: Context): Promise<(name: string) => string> {
  const body = await c.req.parseBody()
  return (name) => {
    const value = body[name]
    return typeof value === 'string' ? value.trim() : ''
  }
}

/**
 * After a POST, back to a page with a short result code (Post/Redirect/Get: a reload never repeats
 * the action); the page turns the code into its sentence, so nothing typed is echoed from the URL.
 */
export function redirectDone(c: Context, path: string, done: string) {
  return c.redirect(`${path}${path.includes('?') ? '&' : '?'}done=${encodeURIComponent(done)}`, 303)
}

/** The sentence for a page's `?done=` code, if it is one the page knows. */
export function noticeFor(c: Context, notices: Record<string, string>): string | null {
  const done = c.req.query('done')
  return done && Object.hasOwn(notices, done) ? (notices[done] as string) : null
}
