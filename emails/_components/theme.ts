import type { CSSProperties } from 'react'

/** System fonts only: nothing to download, and every client has one of them. */
export const fontFamily =
  "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"

/** Colours with at least 4.5:1 contrast on their background (WCAG AA), and that survive dark-mode inversion. */
export const colors = {
  page: '#f3f4f6',
  card: '#ffffff',
  text: '#1f2933',
  muted: '#4b5563',
  link: '#0b5cad',
  rule: '#d8dde3',
  accent: '#0b5cad',
  quote: '#eef2f7',
} as const

export const styles = {
  body: {
    backgroundColor: colors.page,
    margin: 0,
    padding: '24px 0',
    fontFamily,
    color: colors.text,
    // Lets a long URL (the confirmation link is shown in full) wrap on a phone instead of widening
    // the page. Not overflow-wrap: caniemail lists no support for it in Gmail, Apple Mail, Outlook or
    // Yahoo, and word-break covers the same engines.
    wordBreak: 'break-word',
  },
  container: {
    backgroundColor: colors.card,
    maxWidth: '600px',
    width: '100%',
    margin: '0 auto',
    padding: '28px 24px',
    // No box-sizing: React Email puts the padding on the inner cell, so it changed nothing, and
    // Outlook, Yahoo and Gmail's mobile web client do not support it (caniemail).
  },
  brand: {
    fontSize: '14px',
    lineHeight: '20px',
    color: colors.muted,
    margin: '0 0 8px',
    letterSpacing: '0.02em',
  },
  title: { fontSize: '26px', lineHeight: '34px', fontWeight: 700, margin: '0 0 16px', color: colors.text },
  h2: { fontSize: '21px', lineHeight: '29px', fontWeight: 700, margin: '28px 0 8px', color: colors.text },
  h3: { fontSize: '18px', lineHeight: '26px', fontWeight: 700, margin: '24px 0 8px', color: colors.text },
  h4: { fontSize: '16px', lineHeight: '24px', fontWeight: 700, margin: '20px 0 6px', color: colors.text },
  paragraph: { fontSize: '16px', lineHeight: '26px', margin: '0 0 16px', color: colors.text },
  list: { fontSize: '16px', lineHeight: '26px', margin: '0 0 16px', paddingLeft: '24px', color: colors.text },
  listItem: { margin: '0 0 6px' },
  link: { color: colors.link, textDecoration: 'underline' },
  quote: {
    margin: '0 0 16px',
    padding: '12px 16px',
    borderLeft: `4px solid ${colors.accent}`,
    backgroundColor: colors.quote,
  },
  hr: { borderTop: `1px solid ${colors.rule}`, margin: '24px 0' },
  code: {
    fontFamily: 'Menlo, Consolas, monospace',
    fontSize: '15px',
    backgroundColor: colors.quote,
    padding: '1px 4px',
  },
  pre: {
    fontFamily: 'Menlo, Consolas, monospace',
    fontSize: '15px',
    lineHeight: '22px',
    backgroundColor: colors.quote,
    padding: '12px',
    whiteSpace: 'pre-wrap',
    margin: '0 0 16px',
  },
  image: { maxWidth: '100%', height: 'auto', margin: '0 0 16px' },
  button: {
    backgroundColor: colors.accent,
    color: '#ffffff',
    fontSize: '16px',
    fontWeight: 700,
    lineHeight: '24px',
    padding: '12px 22px',
    textDecoration: 'none',
    display: 'inline-block',
  },
  offer: { margin: '8px 0 24px', padding: '16px', backgroundColor: colors.quote },
  offerTitle: {
    fontSize: '18px',
    lineHeight: '26px',
    fontWeight: 700,
    margin: '0 0 8px',
    color: colors.text,
  },
  footer: { fontSize: '14px', lineHeight: '22px', color: colors.muted, margin: '0 0 10px' },
  footerLink: { color: colors.muted, textDecoration: 'underline' },
} satisfies Record<string, CSSProperties>
