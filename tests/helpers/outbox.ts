import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { type ParsedMail, simpleParser } from 'mailparser'

export interface OutboxMessage {
  file: string
  raw: Buffer
  mail: ParsedMail
  to: string
  subject: string
  html: string
  text: string
  header(name: string): string | undefined
  /** The first link in the HTML whose URL contains `part`. */
  link(part: string): string | undefined
}

/** Every message in a Maildir outbox, oldest first. */
export async function readOutbox(dir: string): Promise<OutboxMessage[]> {
  const files: string[] = []
  for (const sub of ['new', 'cur']) {
    try {
      for (const name of readdirSync(path.join(dir, sub))) files.push(path.join(dir, sub, name))
    } catch {}
  }
  files.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs || a.localeCompare(b))
  const messages: OutboxMessage[] = []
  for (const file of files) {
    const raw = readFileSync(file)
    const mail = await simpleParser(raw)
    const html = typeof mail.html === 'string' ? mail.html : ''
    messages.push({
      file,
      raw,
      mail,
      to: mail.to && !Array.isArray(mail.to) ? (mail.to.value[0]?.address ?? '') : '',
      subject: mail.subject ?? '',
      html,
      text: mail.text ?? '',
      header: (name) =>
        mail.headerLines.find((line) => line.key === name.toLowerCase())?.line.replace(/^[^:]+:\s*/, ''),
      link: (part) =>
        [...html.matchAll(/href="([^"]+)"/g)]
          .map((m) => m[1]!.replaceAll('&amp;', '&'))
          .find((href) => href.includes(part)),
    })
  }
  return messages
}
