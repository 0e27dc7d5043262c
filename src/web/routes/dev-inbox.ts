import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import type { Hono } from 'hono'
import { simpleParser } from 'mailparser'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'
import { EMAIL_CSP } from '../security'

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

/**
 * The local inbox: every message the outbox transport wrote, newest first, readable as the recipient
 * would see it (HTML in a sandboxed frame), as text, and with its headers. Only while mail goes to
 * the outbox, and never in production.
 */
export function devInboxRoutes(app: Hono, deps: WebDeps): void {
  const dir = deps.devInboxDir
  const site = deps.config.mail.courseName
  if (!dir) {
    app.get('/dev/inbox/*', (c) =>
      c.html(
        messagePage(site, 'No local inbox', 'Mail goes to the provider, so there is no local inbox.'),
        404,
      ),
    )
    app.get('/dev/inbox', (c) =>
      c.html(
        messagePage(site, 'No local inbox', 'Mail goes to the provider, so there is no local inbox.'),
        404,
      ),
    )
    return
  }

  app.get('/dev/inbox', async (c) => {
    const entries = listMessages(dir).slice(0, LIST_LIMIT)
    const rows = []
    for (const entry of entries) {
      const mail = await simpleParser(readFileSync(entry.file), {
        skipHtmlToText: true,
        skipTextToHtml: true,
        skipImageLinks: true,
      })
      rows.push(
        html`<tr><td><a href="/dev/inbox/${entry.id}">${mail.subject ?? '(no subject)'}</a></td><td>${mail.to && !Array.isArray(mail.to) ? mail.to.text : ''}</td><td>${mail.date?.toISOString().replace('T', ' ').slice(0, 19) ?? ''}</td></tr>`,
      )
    }
    return c.html(
      page({
        title: 'Local inbox',
        siteName: site,
        wide: true,
        body: html`<h1>Local inbox</h1>
<p class="muted">Every email written to the outbox (${dir}), newest first. Also readable with <code>mutt -f ${dir}</code>.</p>
${rows.length === 0 ? html`<p>No messages yet. <a href="/">Subscribe</a> to see the confirmation email arrive here.</p>` : html`<div class="scroll"><table><thead><tr><th>Subject</th><th>To</th><th>Date (UTC)</th></tr></thead><tbody>${rows}</tbody></table></div>`}`,
      }),
    )
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
    const headers = mail.headerLines.map((line) => line.line).join('\n')
    const body =
      view === 'text'
        ? html`<pre class="text">${mail.text ?? '(no text part)'}</pre>`
        : view === 'headers'
          ? html`<pre class="text">${headers}</pre>`
          : html`<iframe class="mail" title="The email as HTML" sandbox="allow-popups allow-popups-to-escape-sandbox" src="/dev/inbox/${id}/html"></iframe>`
    return c.html(
      page({
        title: mail.subject ?? 'Message',
        siteName: site,
        wide: true,
        body: html`<p><a href="/dev/inbox">← Local inbox</a></p>
<h1>${mail.subject ?? '(no subject)'}</h1>
<p class="muted">To ${mail.to && !Array.isArray(mail.to) ? mail.to.text : ''} · ${mail.date?.toUTCString() ?? ''}</p>
<nav class="tabs"><a href="/dev/inbox/${id}"${view === 'html' ? html` aria-current="page"` : ''}>HTML</a><a href="/dev/inbox/${id}?view=text"${view === 'text' ? html` aria-current="page"` : ''}>Text</a><a href="/dev/inbox/${id}?view=headers"${view === 'headers' ? html` aria-current="page"` : ''}>Headers</a></nav>
${body}`,
      }),
    )
  })
}
