import { randomUUID } from 'node:crypto'
import MailComposer from 'nodemailer/lib/mail-composer'
import { addressOf } from './headers'
import type { OutgoingEmail } from './mailer'

const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n')

/**
 * The complete RFC 5322 message for an email: multipart/alternative with the text and HTML parts,
 * Date, Message-ID, MIME-Version and every header that would go to the provider. Subjects and names
 * outside ASCII are encoded (RFC 2047) and bodies quoted-printable, so no line exceeds 998 octets.
 */
export async function buildMime(
  email: OutgoingEmail,
  options: { date: Date; messageId?: string },
): Promise<Buffer> {
  const domain = addressOf(email.from).split('@')[1] ?? 'localhost'
  const composer = new MailComposer({
    from: email.from,
    to: email.to,
    replyTo: email.replyTo,
    subject: email.subject,
    // RFC 5322 section 2.1: lines end in CRLF; nodemailer keeps the body's own LF line ends.
    text: crlf(email.text),
    html: crlf(email.html),
    date: options.date,
    messageId: options.messageId ?? `<${randomUUID()}@${domain}>`,
    textEncoding: 'quoted-printable',
    headers: {
      ...email.headers,
      ...(email.tags.length > 0
        ? { 'X-Course-Tags': email.tags.map((tag) => `${tag.name}=${tag.value}`).join('; ') }
        : {}),
    },
  })
  return composer.compile().build()
}
