import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { ContentSource } from '../src/content/catalog'
import { ContentError, loadContent, loadReadableContent } from '../src/content/catalog'
import { type PreviewEmail, previewEmails } from '../src/content/preview'
import { formatProblem } from '../src/content/types'

/**
 * The files React Email's preview server lists for `npm run email:dev`: one small module per real
 * lesson, confirmation, invitation and newsletter issue, each rendering the project's own template
 * (emails/*.tsx) with that email's props, and one listing the content's problems when it has any.
 */

const TEMPLATE_FILES = {
  lesson: 'lesson',
  newsletter: 'newsletter',
  confirm: 'confirm',
  invitation: 'invitation',
} as const

/** Where an email's module goes, relative to the output folder. */
export function previewPath(email: PreviewEmail, index: number): string {
  if (email.kind === 'newsletter')
    return `newsletters/${email.file.split('/').at(-1)!.replace(/\.md$/, '')}.tsx`
  if (email.kind === 'lesson') return `${email.course}/${String(index).padStart(2, '0')}-${email.slug}.tsx`
  return `${email.course}/${email.kind}.tsx`
}

function moduleText(email: PreviewEmail, importPath: string): string {
  return `// Written by npm run email:dev from ${email.file}; rewritten when it changes. Do not edit.
import Email from ${JSON.stringify(importPath)}

const props = ${JSON.stringify(email.props)}

export default function Preview() {
  return <Email {...(props as never)} />
}

Preview.PreviewProps = {}
`
}

function problemsText(problems: readonly string[]): string {
  return `// Written by npm run email:dev: the content's problems (npm run build lists the same).
import { Body, Head, Heading, Html, Text } from 'react-email'

const problems: string[] = ${JSON.stringify(problems)}

export default function ContentProblems() {
  return (
    <Html lang="en">
      <Head />
      <Body style={{ fontFamily: 'sans-serif', padding: 24 }}>
        <Heading as="h1">{\`The content has \${problems.length} problem(s)\`}</Heading>
        <Text>These files are left out of the preview until they are fixed:</Text>
        {problems.map((problem) => (
          <Text key={problem} style={{ fontFamily: 'monospace' }}>
            {problem}
          </Text>
        ))}
      </Body>
    </Html>
  )
}

ContentProblems.PreviewProps = {}
`
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    return statSync(full).isDirectory() ? listFiles(full) : [full]
  })
}

/** Writes what changed (an unchanged file is left alone, so the preview server does not reload it) and removes what is gone. */
function sync(outDir: string, files: Map<string, string>): void {
  for (const [relative, text] of files) {
    const full = path.join(outDir, relative)
    if (existsSync(full) && readFileSync(full, 'utf8') === text) continue
    mkdirSync(path.dirname(full), { recursive: true })
    writeFileSync(full, text)
  }
  const keep = new Set([...files.keys()].map((relative) => path.join(outDir, relative)))
  for (const file of listFiles(outDir)) if (!keep.has(file)) rmSync(file)
}

/**
 * Writes the preview modules for the content into `outDir`; returns their paths (relative) and the
 * content's problems. Broken files are left out and listed in `_content-problems.tsx`.
 */
export async function writePreviews(
  source: ContentSource,
  outDir: string,
  emailsDir: string,
): Promise<{ files: string[]; problems: string[] }> {
  let problems: string[] = []
  let content: Awaited<ReturnType<typeof loadContent>>
  try {
    content = await loadContent(source)
  } catch (error) {
    if (!(error instanceof ContentError)) throw error
    problems = error.problems.map(formatProblem)
    content = await loadReadableContent(source)
  }
  const files = new Map<string, string>()
  const positions = new Map<string, number>()
  for (const email of previewEmails(content, source.site)) {
    const index = positions.get(email.course ?? '') ?? 0
    if (email.kind === 'lesson') positions.set(email.course ?? '', index + 1)
    const relative = previewPath(email, index)
    const from = path.dirname(path.join(outDir, relative))
    let importPath = path.relative(from, path.join(emailsDir, TEMPLATE_FILES[email.template]))
    if (!importPath.startsWith('.')) importPath = `./${importPath}`
    files.set(relative, moduleText(email, importPath))
  }
  if (problems.length > 0) files.set('_content-problems.tsx', problemsText(problems))
  mkdirSync(outDir, { recursive: true })
  sync(outDir, files)
  return { files: [...files.keys()], problems }
}
