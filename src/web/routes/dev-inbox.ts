import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import type { Context, Hono } from 'hono'
import type { ParsedMail, SimpleParserOptions } from 'mailparser'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'
import { EMAIL_CSP, sameOriginPosts } from '../security'

const SAFE_NAME = /^[A-Za-z0-9._,:=-]{1,200}$/
const LIST_LIMIT = 200

interface Entry {
  id: string
  file: string
  mtime: number
}

/**
 * The message is shown in a sandboxed frame: its links (unsubscribe, preferences, confirm) open in a
 * tab of their own, as a mail app would open them, instead of inside the frame.
 */
function openLinksInNewTab(message: string): string {
  const base = '<base target="_blank">'
  return /<head[^>]*>/i.test(message)
    ? message.replace(/<head[^>]*>/i, (head) => head + base)
    : base + message
}

function listMessages(dir: string): Entry[] {
  const entries: Entry[] = []
  for (const sub of ['new', 'cur']) {
    let names: string[] = []
    try {
      names = readdirSync(path.join(dir, sub))
    } catch {}
    for (const name of names) {
      if (!SAFE_NAME.test(name)) continue
      const file = path.join(dir, sub, name)
      entries.push({ id: name, file, mtime: statSync(file).mtimeMs })
    }
  }
  return entries.sort((a, b) => b.mtime - a.mtime || b.id.localeCompare(a.id))
}

function findMessage(dir: string, id: string): Entry | undefined {
  if (!SAFE_NAME.test(id)) return undefined
  return listMessages(dir).find((entry) => entry.id === id)
}

/** What the X-Course-Tags header says of a message: its kind, course and item. */
/** mailparser, loaded when the inbox is first opened: a server nobody reads the inbox of never holds it. */
async function simpleParser(source: Buffer, options: SimpleParserOptions = {}): Promise<ParsedMail> {
  const mailparser = await import('mailparser')
  return mailparser.simpleParser(source, options)
}

function tagsOf(mail: ParsedMail): Record<string, string> {
  const header = mail.headers.get('x-course-tags')
  const text = typeof header === 'string' ? header : ''
  return Object.fromEntries(
    text
      .split(';')
      .map((pair) => pair.trim().split('='))
      .filter((pair): pair is [string, string] => pair.length === 2),
  )
}

/** "lesson · short/second", "confirmation · short", "newsletter · autumn". */
function describe(mail: ParsedMail) {
  const tags = tagsOf(mail)
  const kind = tags.kind ?? 'email'
  const item = tags[kind]
  const what = [tags.course, item].filter(Boolean).join('/')
  return html`<span class="tag">${kind}</span>${what}`
}

const WIDTHS = { desktop: 600, phone: 375 } as const

/**
 * The local inbox: every message the outbox transport wrote, newest first (with its kind and course),
 * refreshed by itself when mail arrives, each message readable as the recipient would see it (HTML in
 * a sandboxed frame as tall as the email, at desktop or phone width), as text, and with its headers;
 * it can be emptied. Only while mail goes to the outbox, and never in production.
 */
export function devInboxRoutes(app: Hono, deps: WebDeps): void {
  const dir = deps.devInboxDir
  const site = deps.config.mail.courseName
  if (!dir) {
    const none = (c: Context) =>
      c.html(
        messagePage(site, 'No local inbox', 'Mail goes to the provider, so there is no local inbox.'),
        404,
      )
    app.get('/dev/inbox/*', none)
    app.get('/dev/inbox', none)
    return
  }
  /** Changes whenever a message arrives or goes: the page reloads when it does. */
  const state = () => {
    const entries = listMessages(dir)
    return `${entries.length}:${entries[0]?.id ?? ''}:${entries[0]?.mtime ?? 0}`
  }
  const parse = (file: string) =>
    simpleParser(readFileSync(file), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true })

  app.get('/dev/inbox/state', (c) => {
    c.header('Cache-Control', 'no-store')
    return c.text(state())
  })

  app.get('/dev/inbox', async (c) => {
    const entries = listMessages(dir).slice(0, LIST_LIMIT)
    const items = []
    for (const entry of entries) {
      const mail = await parse(entry.file)
      const to = mail.to && !Array.isArray(mail.to) ? mail.to.text : ''
      items.push(
        html`<li><a href="/dev/inbox/${entry.id}">${mail.subject ?? '(no subject)'}</a>
<span class="meta">${describe(mail)} · to ${to} · ${mail.date?.toISOString().replace('T', ' ').slice(0, 19) ?? ''} UTC</span></li>`,
      )
    }
    return c.html(
      page({
        title: 'Local inbox',
        siteName: site,
        wide: true,
        script: 'dev',
        body: html`<div data-inbox-state="${state()}"><h1>Local inbox</h1>
<p class="muted">Every email written to the outbox (${dir}), newest first; this page refreshes when mail arrives. Also readable with <code>mutt -f ${dir}</code>. <a href="/dev/emails">Preview every email of the content</a>.</p>
${
  items.length === 0
    ? html`<p>No messages yet. <a href="/">Subscribe</a> to see the confirmation email arrive here.</p>`
    : html`<ul class="inbox">${items}</ul>
<form method="post" action="/dev/inbox/empty"><button type="submit" class="secondary">Empty the inbox</button></form>`
}</div>`,
      }),
    )
  })

  app.use('/dev/inbox/empty', sameOriginPosts(site, deps.config.baseUrl))
  app.post('/dev/inbox/empty', (c) => {
    // Only the messages: the outbox keeps its record of idempotency keys, so a retry never writes a copy again.
    for (const entry of listMessages(dir)) rmSync(entry.file, { force: true })
    return c.redirect('/dev/inbox', 303)
  })

  app.get('/dev/inbox/:id/html', async (c) => {
    const entry = findMessage(dir, c.req.param('id'))
    if (!entry) return c.text('Not found', 404)
    const mail = await simpleParser(readFileSync(entry.file))
    c.header('Content-Security-Policy', EMAIL_CSP)
    c.header('X-Frame-Options', 'SAMEORIGIN')
    return c.html(typeof mail.html === 'string' ? openLinksInNewTab(mail.html) : '<p>(no HTML part)</p>')
  })

  app.get('/dev/inbox/:id', async (c) => {
    const id = c.req.param('id')
    const entry = findMessage(dir, id)
    if (!entry)
      return c.html(messagePage(site, 'Message not found', 'It may have been deleted from the outbox.'), 404)
    const mail = await simpleParser(readFileSync(entry.file))
    const view = c.req.query('view') ?? 'html'
    const width = c.req.query('width') === 'phone' ? 'phone' : 'desktop'
    const headers = mail.headerLines.map((line) => line.line).join('\n')
    const tab = (name: string, label: string, query: string) =>
      html`<a href="/dev/inbox/${id}${query}"${view === name ? html` aria-current="page"` : ''}>${label}</a>`
    const body =
      view === 'text'
        ? html`<pre class="text">${mail.text ?? '(no text part)'}</pre>`
        : view === 'headers'
          ? html`<pre class="text">${headers}</pre>`
          : html`<p class="muted">Width: ${width === 'desktop' ? html`<strong>desktop (600 px)</strong> · <a href="/dev/inbox/${id}?width=phone">phone (375 px)</a>` : html`<a href="/dev/inbox/${id}">desktop (600 px)</a> · <strong>phone (375 px)</strong>`}</p>
<iframe class="mail w${WIDTHS[width]}" title="The email as HTML" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" src="/dev/inbox/${id}/html"></iframe>`
    return c.html(
      page({
        title: mail.subject ?? 'Message',
        siteName: site,
        wide: true,
        script: 'dev',
        body: html`<p><a href="/dev/inbox">← Local inbox</a></p>
<h1>${mail.subject ?? '(no subject)'}</h1>
<p class="muted">${describe(mail)} · to ${mail.to && !Array.isArray(mail.to) ? mail.to.text : ''} · ${mail.date?.toUTCString() ?? ''}</p>
<nav class="tabs">${tab('html', 'HTML', '')}${tab('text', 'Text', '?view=text')}${tab('headers', 'Headers', '?view=headers')}</nav>
${body}`,
      }),
    )
  })
}
