import { PLACEHOLDER_PATTERN, type PlaceholderName } from './placeholders'

/** A compiled part (HTML or text) cut at its placeholders, so filling it in is a join, not a search. */
export interface Template {
  parts: string[]
  /** names[i] goes between parts[i] and parts[i + 1]. */
  names: PlaceholderName[]
}

const NAME_BY_TOKEN: Record<string, PlaceholderName> = {
  FIRST_NAME: 'firstName',
  UNSUBSCRIBE_URL: 'unsubscribeUrl',
  PREFERENCES_URL: 'preferencesUrl',
  VIEW_URL: 'viewInBrowserUrl',
  CONFIRM_URL: 'confirmUrl',
  START_URL: 'startUrl',
  OFFER_URL: 'offerUrl',
  NEXT_URL: 'nextUrl',
}

/** Cuts `source` at every placeholder. */
export function toTemplate(source: string): Template {
  const parts: string[] = []
  const names: PlaceholderName[] = []
  let last = 0
  for (const match of source.matchAll(PLACEHOLDER_PATTERN)) {
    parts.push(source.slice(last, match.index))
    names.push(NAME_BY_TOKEN[match[1] as string] as PlaceholderName)
    last = (match.index ?? 0) + match[0].length
  }
  parts.push(source.slice(last))
  return { parts, names }
}

/** An email compiled once: subject, HTML and text with placeholders. */
export interface CompiledEmail {
  kind: 'lesson' | 'newsletter' | 'confirmation' | 'invitation'
  /** The course it belongs to (lessons, confirmations, invitations); null for a newsletter issue. */
  course: string | null
  slug: string
  /** The course a lesson offers to start (its email carries the reader's signed link), if any. */
  offer?: string
  /** A lesson offers "Send me the next lesson now" (with the reader's signed link). */
  nextNow?: boolean
  subject: string
  preview: string
  html: Template
  text: Template
}

/** What changes from one recipient to the next. */
export type PersonalValues = Record<PlaceholderName, string>

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for HTML content and double- or single-quoted attributes alike. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] as string)
}

function fill(template: Template, values: PersonalValues, encode: (value: string) => string): string {
  let out = template.parts[0] as string
  for (let i = 0; i < template.names.length; i++) {
    out += encode(values[template.names[i] as PlaceholderName]) + (template.parts[i + 1] as string)
  }
  return out
}

const asIs = (value: string) => value

/**
 * One recipient's email from a compiled one. Values are HTML-escaped in the HTML part (a name such as
 * `<script>` arrives as text) and left as they are in the text part.
 */
export function personalize(
  compiled: CompiledEmail,
  values: PersonalValues,
): { subject: string; html: string; text: string } {
  return {
    subject: compiled.subject,
    html: fill(compiled.html, values, escapeHtml),
    text: fill(compiled.text, values, asIs),
  }
}

/** The name used in greetings: the first word of the name given, or "there" ("Hi there,"). */
export function greetingName(name: string | null | undefined): string {
  const first = name?.trim().split(/\s+/)[0]
  return first ? first.slice(0, 60) : 'there'
}
