import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { type ContentSource, loadContent } from '../../src/content/catalog'
import { FIXTURES } from '../helpers/harness'

/** The short fixture course, copied so the test may edit it, with a cache folder of its own. */
function source(): ContentSource & { cacheDir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'course-cache-'))
  const lessonsDir = path.join(dir, 'lessons')
  cpSync(path.join(FIXTURES, 'lessons-short'), lessonsDir, { recursive: true, dereference: true })
  return {
    lessonsDir,
    newslettersDir: path.join(FIXTURES, 'newsletters-short'),
    cacheDir: path.join(dir, 'cache'),
    site: { courseName: 'Test', baseUrl: 'https://course.example.org', postalAddress: '1 Test Street' },
  }
}

const cacheFile = (s: { cacheDir: string }) => path.join(s.cacheDir, 'compiled-emails.json')

/** Marks every cached email's subject, to tell a cached compile from a fresh one. */
function markCache(s: { cacheDir: string }) {
  const cached = JSON.parse(readFileSync(cacheFile(s), 'utf8'))
  for (const [, email] of cached.emails) email.subject = `(cached) ${email.subject}`
  writeFileSync(cacheFile(s), JSON.stringify(cached))
}

describe('compiled emails kept between starts', () => {
  it('a second load of unchanged content uses the cache and gives the same emails', async () => {
    const s = source()
    const first = await loadContent(s)
    const fresh = first.compiled('lesson', 'short', first.courses[0]!.lessons[0]!.slug)!
    const again = await loadContent(s)
    expect(again.compiled('lesson', 'short', fresh.slug)).toEqual(fresh)
    markCache(s)
    const cached = await loadContent(s)
    expect(cached.compiled('lesson', 'short', fresh.slug)!.subject).toBe(`(cached) ${fresh.subject}`)
    expect(cached.compiled('confirmation', 'short', null)!.subject).toMatch(/^\(cached\) /)
  })

  it('compiles again when a lesson changes, and when the site details change', async () => {
    const s = source()
    const first = await loadContent(s)
    const lesson = first.courses[0]!.lessons[0]!
    markCache(s)
    const file = path.join(path.dirname(s.lessonsDir), lesson.file.replace(/^.*?lessons\//, 'lessons/'))
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/\n---\n/, '\n---\nA sentence added by the test.\n'),
    )
    const edited = await loadContent(s)
    const email = edited.compiled('lesson', 'short', lesson.slug)!
    expect(email.subject).not.toMatch(/^\(cached\)/)
    expect(email.text.parts.join('')).toContain('A sentence added by the test.')

    markCache(s)
    const moved = await loadContent({ ...s, site: { ...s.site, baseUrl: 'https://elsewhere.example.org' } })
    const confirmation = moved.compiled('confirmation', 'short', null)!
    expect(confirmation.subject).not.toMatch(/^\(cached\)/)
    expect(confirmation.html.parts.join('')).toContain('https://elsewhere.example.org')
  })

  it('unchanged files are read back as loaded, trees included; a changed file is parsed again', async () => {
    const s = source()
    const fresh = await loadContent(s)
    const cached = JSON.parse(readFileSync(cacheFile(s), 'utf8'))
    expect(cached.content.courses).toEqual(JSON.parse(JSON.stringify(fresh.courses)))
    // Marked in the cache: a load that returns the mark did not parse the files.
    cached.content.courses[0].title = '(cached) title'
    writeFileSync(cacheFile(s), JSON.stringify(cached))
    const again = await loadContent(s)
    expect(again.courses[0]!.title).toBe('(cached) title')
    expect(again.courses[0]!.lessons).toEqual(JSON.parse(JSON.stringify(fresh.courses[0]!.lessons)))
    expect(again.courses[0]!.lessons[0]!.tree.type).toBe('root')
    expect(again.newsletters.map((n) => n.slug)).toEqual(fresh.newsletters.map((n) => n.slug))
    expect(again.fingerprint).toBe(fresh.fingerprint)

    const lesson = fresh.courses[0]!.lessons[0]!
    const file = path.join(path.dirname(s.lessonsDir), lesson.file.replace(/^.*?lessons\//, 'lessons/'))
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n`)
    const edited = await loadContent(s)
    expect(edited.courses[0]!.title).toBe(fresh.courses[0]!.title)
  })

  it('an unreadable cache file is compiled over, not an error', async () => {
    const s = source()
    await loadContent(s)
    writeFileSync(cacheFile(s), '{"key": "half a file')
    const content = await loadContent(s)
    expect(content.compiled('confirmation', 'short', null)!.subject.length).toBeGreaterThan(0)
    expect(JSON.parse(readFileSync(cacheFile(s), 'utf8')).emails.length).toBeGreaterThan(0)
  })
})
