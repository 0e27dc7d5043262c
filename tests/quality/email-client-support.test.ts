import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { DoIUseEmail } from '@jsx-email/doiuse-email'
import { afterAll, describe, expect, it } from 'vitest'
import { ARTIFACTS, loadQualityEmails } from '../helpers/quality-emails'

/**
 * The inboxes most readers use (caniemail names): Gmail (web and apps), Outlook for Windows and
 * macOS, Apple Mail (macOS and iOS) and Yahoo (web and apps). Outlook on the web is added below.
 */
const CLIENT_GLOBS = ['gmail.*', 'outlook.windows', 'outlook.macos', 'apple-mail.*', 'yahoo.*']

/**
 * Features that caniemail lists as unsupported in some of those clients, each kept on purpose because
 * the email reads the same without it. Anything else unsupported fails the check: change the template.
 */
const ACCEPTED: Record<string, string> = {
  '<body> element':
    'clients that replace <body> lose nothing: React Email <Body> repeats its styles on the first table cell',
  'display:none': 'only the hidden preheader (React Email <Preview>) uses it; max-height:0 hides it as well',
  opacity: 'only the hidden preheader uses it',
  overflow: 'only the hidden preheader uses it',
  'target attribute':
    "React Email <Button> (the confirmation email's button) asks for a new tab; webmail opens links its own way",
  outline:
    'React Email <Img> resets outline to none; Outlook for Windows draws no outline around images anyway',
  'word-break':
    'lets a long URL wrap on a phone; where unsupported the client wraps or scrolls the link as in any email',
}

type Finding = { feature: string; client: string }

const FINDING = /^`(.+)` is (?:not supported|only partially supported) by `(.+)`$/

function parse(messages: readonly string[]): Finding[] {
  const unique = new Map<string, Finding>()
  for (const message of messages) {
    const match = FINDING.exec(message)
    if (!match) throw new Error(`unexpected doiuse-email message: ${message}`)
    unique.set(message, { feature: match[1] as string, client: match[2] as string })
  }
  return [...unique.values()]
}

/** The caniemail check for our clients, plus Outlook on the web. */
function checkEmail(html: string) {
  const checker = new DoIUseEmail({ emailClients: CLIENT_GLOBS })
  // doiuse-email's client list leaves out Outlook on the web although its caniemail data covers it
  // ("outlook-com", also the engine of the new Outlook for Windows).
  checker.emailClients.push('outlook.outlook-com' as (typeof checker.emailClients)[number])
  const clients = [...checker.emailClients]
  const result = checker.check(html)
  return {
    clients,
    errors: parse(result.success ? [] : result.errors),
    warnings: parse(result.warnings),
  }
}

const emails = await loadQualityEmails()
const results = new Map<string, ReturnType<typeof checkEmail>>()

function byFeature(findings: Finding[]): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>()
  for (const { feature, client } of findings) {
    if (!map.has(feature)) map.set(feature, new Set())
    map.get(feature)?.add(client)
  }
  return map
}

function writeReport(): string {
  const all = [...results.values()]
  const errors = byFeature(all.flatMap((r) => r.errors))
  const warnings = byFeature(all.flatMap((r) => r.warnings))
  const emailsWith = (feature: string, kind: 'errors' | 'warnings') =>
    [...results.values()].filter((r) => r[kind].some((f) => f.feature === feature)).length
  const lines = [
    '# Email client support (caniemail, via @jsx-email/doiuse-email)',
    '',
    `Clients: ${all[0]?.clients.join(', ')}`,
    `Emails: ${[...results.keys()].join(', ')}`,
    '',
    '## Unsupported somewhere, accepted on purpose',
    '',
    ...[...errors].map(
      ([feature, clients]) =>
        `- \`${feature}\` (${emailsWith(feature, 'errors')} emails) in ${[...clients].join(', ')}: ${ACCEPTED[feature] ?? 'NOT ACCEPTED: fix the template'}`,
    ),
    '',
    '## Partly supported (warnings)',
    '',
    ...[...warnings].map(
      ([feature, clients]) =>
        `- \`${feature}\` (${emailsWith(feature, 'warnings')} emails): ${[...clients].join(', ')}`,
    ),
    '',
    '## Per email',
    '',
    '| email | unsupported (client × feature) | partly supported |',
    '|---|---:|---:|',
    ...[...results].map(([name, r]) => `| ${name} | ${r.errors.length} | ${r.warnings.length} |`),
    '',
  ]
  const file = path.join(ARTIFACTS, 'quality', 'email-client-support.md')
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, lines.join('\n'))
  const warningPairs = [...warnings.values()].reduce((sum, clients) => sum + clients.size, 0)
  return `caniemail: ${results.size} emails, ${all[0]?.clients.length} clients; ${errors.size} accepted unsupported features, ${warnings.size} partly supported features (${warningPairs} feature × client warnings). Report: ${path.relative(process.cwd(), file)}`
}

describe('email client support (caniemail)', () => {
  afterAll(() => {
    if (results.size > 0) process.stdout.write(`\n${writeReport()}\n`)
  })

  for (const { name, email } of emails) {
    it(`${name}: uses nothing Gmail, Outlook, Apple Mail or Yahoo lacks, beyond the accepted list`, () => {
      const result = checkEmail(email.html)
      results.set(name, result)
      expect(result.clients).toContain('outlook.outlook-com')
      expect(result.clients).toContain('outlook.windows')
      const refused = result.errors.filter((finding) => !(finding.feature in ACCEPTED))
      expect(refused, 'unsupported features outside the accepted list').toEqual([])
    })
  }

  it('accepts only what the emails still use (a stale exception hides nothing)', () => {
    const used = new Set([...results.values()].flatMap((r) => r.errors.map((finding) => finding.feature)))
    expect(results.size).toBe(emails.length)
    expect(Object.keys(ACCEPTED).filter((feature) => !used.has(feature))).toEqual([])
  })
})
