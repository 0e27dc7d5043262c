import { describe, expect, it } from 'vitest'
import { httpsUrlProblem } from '../../src/content/front-matter'
import { folderOf, loadLessons, loadNewsletters } from '../../src/content/load'
import { formatProblem } from '../../src/content/types'
import { contentDirs } from '../helpers/content-fixtures'

/** A lesson whose front matter ends with the given `sources:` lines (line 6 is `sources:`). */
const lessonWith = (sourceLines: string[]) =>
  [
    '---',
    'title: "T"',
    'subject: "S"',
    'preview: "P"',
    'day: 0',
    'sources:',
    ...sourceLines,
    '---',
    '',
    'Body.',
    '',
  ].join('\n')

function load(text: string) {
  const { lessonsDir } = contentDirs({ '00-x.md': text })
  return loadLessons(folderOf(lessonsDir), 'c')
}

const problemsOf = (text: string) => load(text).problems.map(formatProblem)

describe('sources in front matter', () => {
  it('loads a list of titles and https addresses into the lesson', () => {
    const { lessons, problems } = load(
      lessonWith([
        '  - title: "NHS: Hair loss"',
        '    url: "https://www.nhs.uk/conditions/hair-loss/"',
        '  - title: FDA tattoo fact sheet',
        '    url: https://www.fda.gov/cosmetics/cosmetic-products/tattoos-permanent-makeup-fact-sheet',
      ]),
    )
    expect(problems).toEqual([])
    expect(lessons[0]!.sources).toEqual([
      { title: 'NHS: Hair loss', url: 'https://www.nhs.uk/conditions/hair-loss/' },
      {
        title: 'FDA tattoo fact sheet',
        url: 'https://www.fda.gov/cosmetics/cosmetic-products/tattoos-permanent-makeup-fact-sheet',
      },
    ])
  })

  it('leaves sources out of a lesson that has none (the key is optional)', () => {
    const { lessons, problems } = load('---\ntitle: "T"\nsubject: "S"\npreview: "P"\nday: 0\n---\n\nBody.\n')
    expect(problems).toEqual([])
    expect(lessons[0]!.sources).toBeUndefined()
  })

  it.each([
    [
      'an address that is not a URL',
      ['  - title: "A"', '    url: "nhs dot uk"'],
      'lessons/00-x.md: sources: item 1, url: must not contain spaces (line 8)',
    ],
    [
      'a bare host name',
      ['  - title: "A"', '    url: "www.nhs.uk/conditions/hair-loss/"'],
      'lessons/00-x.md: sources: item 1, url: must be a full address starting with https://, like "https://www.nhs.uk/conditions/hair-loss/" (line 8)',
    ],
    [
      'an http: address (second item, keys the other way round)',
      [
        '  - title: "A"',
        '    url: "https://www.nhs.uk/"',
        '  - url: "http://www.fda.gov/"',
        '    title: "B"',
      ],
      'lessons/00-x.md: sources: item 2, url: must start with https:// (http:// is not accepted) (line 9)',
    ],
    [
      'a host that is not a domain name',
      ['- title: "A"', '  url: "https://localhost/page"'],
      'lessons/00-x.md: sources: item 1, url: "localhost" is not a domain name (line 8)',
    ],
    [
      'a missing title (reported on its item)',
      ['  - title: "A"', '    url: "https://www.nhs.uk/"', '  - url: "https://www.fda.gov/"'],
      'lessons/00-x.md: sources: item 2, title: required (line 9)',
    ],
    [
      'an empty title',
      ['  - title: ""', '    url: "https://www.nhs.uk/"'],
      'lessons/00-x.md: sources: item 1, title: must not be empty (line 7)',
    ],
    [
      'a title over 200 characters',
      [`  - title: "${'x'.repeat(201)}"`, '    url: "https://www.nhs.uk/"'],
      'lessons/00-x.md: sources: item 1, title: must be at most 200 characters (line 7)',
    ],
    [
      'a typo in an item key',
      ['  - title: "A"', '    link: "https://www.nhs.uk/"'],
      'lessons/00-x.md: sources: item 1, link: unknown key (allowed: title, url) (line 8)',
    ],
    [
      'an item that is only an address',
      ['  - "https://www.nhs.uk/"'],
      'lessons/00-x.md: sources: item 1: expected an item with title: and url: under it (line 7)',
    ],
    [
      'an empty list',
      ['  []'],
      'lessons/00-x.md: sources: must list at least one source (or leave the key out) (line 6)',
    ],
  ])('reports %s with its line', (_case, lines, expected) => {
    expect(problemsOf(lessonWith(lines))).toContain(expected)
  })

  it('reports a single address instead of a list, and more than 20 sources', () => {
    expect(problemsOf(lessonWith([]).replace('sources:\n', 'sources: "https://www.nhs.uk/"\n'))).toContain(
      'lessons/00-x.md: sources: expected a list: each item a line "- title: …" with "url: …" under it (line 6)',
    )
    const many = Array.from({ length: 21 }, (_, i) => [
      `  - title: "Source ${i + 1}"`,
      `    url: "https://www.example.org/${i + 1}"`,
    ]).flat()
    expect(problemsOf(lessonWith(many))).toEqual([
      'lessons/00-x.md: sources: must list at most 20 sources (line 6)',
    ])
  })

  it('takes sources on newsletter issues too, checked the same way', () => {
    const issue = (url: string) =>
      `---\ntitle: "I"\nsubject: "S"\npreview: "P"\ndate: "2026-11-16"\nsources:\n  - title: "A"\n    url: "${url}"\n---\n\nBody.\n`
    const good = contentDirs({}, { '2026-11-16-a.md': issue('https://www.nhs.uk/') })
    const loaded = loadNewsletters(good.newslettersDir)
    expect(loaded.problems).toEqual([])
    expect(loaded.newsletters[0]!.sources).toEqual([{ title: 'A', url: 'https://www.nhs.uk/' }])
    const bad = contentDirs({}, { '2026-11-16-a.md': issue('http://www.nhs.uk/') })
    expect(loadNewsletters(bad.newslettersDir).problems.map(formatProblem)).toEqual([
      'newsletters/2026-11-16-a.md: sources: item 1, url: must start with https:// (http:// is not accepted) (line 8)',
    ])
  })

  it.each([
    ['https://pubmed.ncbi.nlm.nih.gov/?term=scalp+micropigmentation', undefined],
    ['https://user:pw@www.nhs.uk/', 'must not carry a user name or password'],
    ['https://192.168.0.1/', 'must name a host, not an IP address'],
    [
      'ftp://www.nhs.uk/',
      'must be a full address starting with https://, like "https://www.nhs.uk/conditions/hair-loss/"',
    ],
    ['https://', 'is not a well-formed address'],
  ])('judges %s', (url, expected) => {
    expect(httpsUrlProblem(url)).toBe(expected)
  })
})
