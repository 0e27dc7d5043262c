import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { Config } from '../config'
import { ContentError, loadContent } from '../content/catalog'
import { formatProblem } from '../content/types'
import { renderWebVersion } from '../content/web-version'
import { contentSource } from '../runtime'
import { type CliIo, EXIT, writeLine } from './io'

export const buildUsage =
  'course build [--out DIR]   compile every course (lessons, confirmation, invitation) and newsletter to DIR (dist/emails)'

/**
 * `course build`: validates all content and writes each email's HTML and text (as the web version,
 * with a generic greeting) plus a manifest. Exits 1 listing every problem in every file.
 */
export async function buildCommand(args: string[], io: CliIo, config: Config): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } }, strict: true })
  const outDir = path.resolve(io.cwd, values.out ?? 'dist/emails')
  let content: Awaited<ReturnType<typeof loadContent>>
  try {
    content = await loadContent(contentSource(config))
  } catch (error) {
    if (!(error instanceof ContentError)) throw error
    for (const problem of error.problems) writeLine(io.err, formatProblem(problem))
    writeLine(io.err, `build failed: ${error.problems.length} problem(s)`)
    return EXIT.failed
  }
  mkdirSync(outDir, { recursive: true })
  // Each course's lessons, confirmation and invitation in a folder of its own; issues at the top.
  const emails = [
    ...content.courses.flatMap((course) => [
      ...course.lessons.map((lesson) => content.compiled('lesson', course.slug, lesson.slug)!),
      content.compiled('confirmation', course.slug, null)!,
      content.compiled('invitation', course.slug, null)!,
    ]),
    ...content.newsletters.map((issue) => content.compiled('newsletter', null, issue.slug)!),
  ]
  const manifest = []
  for (const compiled of emails) {
    const { html, text, subject } = renderWebVersion(config.baseUrl, compiled)
    const name = compiled.course ? `${compiled.course}/${compiled.slug}` : compiled.slug
    mkdirSync(path.dirname(path.join(outDir, name)), { recursive: true })
    writeFileSync(path.join(outDir, `${name}.html`), html)
    writeFileSync(path.join(outDir, `${name}.txt`), text)
    const htmlBytes = Buffer.byteLength(html)
    manifest.push({
      kind: compiled.kind,
      course: compiled.course,
      slug: compiled.slug,
      subject,
      preview: compiled.preview,
      htmlBytes,
      textBytes: Buffer.byteLength(text),
    })
    writeLine(
      io.out,
      `${compiled.kind.padEnd(12)} ${name.padEnd(48)} ${(htmlBytes / 1024).toFixed(1).padStart(6)} KB`,
    )
  }
  writeFileSync(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  writeLine(io.out, `built ${emails.length} emails into ${path.relative(io.cwd, outDir) || '.'}`)
  return EXIT.ok
}
