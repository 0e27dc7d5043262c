import type { z } from 'zod'
import { SOURCE_KEYS, unknownKeyMessage } from './front-matter'
import type { ContentProblem } from './types'

/**
 * Front-matter problems by file line: zod says which value is wrong (`['sources', 1, 'url']`), the
 * author needs the line to change. We find it in the text rather than ask the YAML parser for
 * positions: front matter is written plainly, one key a line (the README's contract), and a list is
 * `- key: value` items under its key.
 */

/** The keys allowed inside each item of a front-matter list, for messages about unknown ones. */
const ITEM_KEYS: Record<string, readonly string[]> = { sources: SOURCE_KEYS }

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const isBlank = (text: string) => /^\s*(#.*)?$/.test(text)

/** Finds where things are in a file's front matter (`frontMatter` is gray-matter's `matter`). */
export interface FrontMatterLines {
  /** The file line of a top-level key. */
  keyLine(key: string): number | undefined
  /**
   * The file line of a value by its path: a top-level key, the `index`-th item of a list (0-based),
   * or a key inside that item; the nearest line found when the exact one is not there (a missing
   * key is reported on its item's first line).
   */
  pathLine(path: readonly PropertyKey[]): number | undefined
}

export function frontMatterLines(frontMatter: string): FrontMatterLines {
  // gray-matter's `matter` starts with the newline after the opening "---" (file line 1): so the
  // element at index i of the split is file line i + 1.
  const lines = frontMatter.split('\n')
  const keyIndex = (key: string) => {
    const name = escapeRegExp(key)
    const top = lines.findIndex((line) => new RegExp(`^${name}\\s*:`).test(line))
    return top >= 0 ? top : lines.findIndex((line) => new RegExp(`^\\s*${name}\\s*:`).test(line))
  }
  const keyLine = (key: string) => {
    const index = keyIndex(key)
    return index < 0 ? undefined : index + 1
  }
  /** The file line of item `item` of the list under line index `start`, or of `key` inside it. */
  const itemLine = (start: number, item: number, key?: string) => {
    let at = -1
    let dashIndent: number | undefined
    let itemStart: number | undefined
    const keyPattern = key === undefined ? undefined : new RegExp(`^\\s*(-\\s+)?${escapeRegExp(key)}\\s*:`)
    for (let i = start + 1; i < lines.length; i++) {
      const text = lines[i]!
      if (isBlank(text)) continue
      // The list ends at the next top-level key (its items may start at column 0, as "- …").
      if (!/^\s/.test(text) && !text.startsWith('-')) break
      const dash = /^(\s*)-(\s|$)/.exec(text)
      if (dash && (dashIndent === undefined || dash[1]!.length === dashIndent)) {
        dashIndent ??= dash[1]!.length
        at++
        if (at > item) break
        if (at === item) itemStart = i + 1
      }
      if (at === item && keyPattern?.test(text)) return i + 1
    }
    return itemStart
  }
  return {
    keyLine,
    pathLine(path) {
      const [key, item, inner] = path
      if (key === undefined) return undefined
      const index = keyIndex(String(key))
      if (index < 0) return undefined
      if (typeof item !== 'number') return index + 1
      return itemLine(index, item, inner === undefined ? undefined : String(inner)) ?? index + 1
    },
  }
}

/**
 * zod's issues as problems an author can act on: `field: message (line N)`, where an item of a list
 * is named in the message (`sources: item 2, url: must start with https:// (line 12)`).
 */
export function frontMatterProblems(
  issues: readonly z.core.$ZodIssue[],
  file: string,
  lines: FrontMatterLines,
  allowed: readonly string[],
): ContentProblem[] {
  return issues.flatMap((issue) => {
    const [key, item, inner] = issue.path
    if (issue.code === 'unrecognized_keys') {
      if (key === undefined)
        return issue.keys.map((unknown) => ({
          file,
          field: unknown,
          message: unknownKeyMessage(unknown, allowed),
          line: lines.keyLine(unknown),
        }))
      const field = String(key)
      return issue.keys.map((unknown) => ({
        file,
        field,
        message: `${itemLabel(item, unknown)}${unknownKeyMessage(unknown, ITEM_KEYS[field] ?? [])}`,
        line: lines.pathLine([key, ...(typeof item === 'number' ? [item, unknown] : [])]),
      }))
    }
    const field = String(key ?? 'front matter')
    return [
      { file, field, message: `${itemLabel(item, inner)}${issue.message}`, line: lines.pathLine(issue.path) },
    ]
  })
}

/** "item 2, url: " for the key `url` of the list item at index 1 (authors count from one), "item 2: " for the item. */
function itemLabel(item: PropertyKey | undefined, inner: PropertyKey | undefined): string {
  if (typeof item !== 'number') return ''
  return inner === undefined ? `item ${item + 1}: ` : `item ${item + 1}, ${String(inner)}: `
}
