/**
 * js-yaml's errors in words an author can act on, on the line of the file that needs the change.
 *
 * js-yaml stops where it can no longer make sense of the text, which is often a line or more after
 * the mistake (an unclosed quote swallows the lines after it; a line without a colon is read as the
 * start of a key that goes on). So we look at the lines up to that point for the usual mistakes, and
 * only then fall back to js-yaml's own position and reason.
 */

/** A YAML problem: what to change, and the line of the file it is on. */
export interface YamlProblem {
  message: string
  line?: number
}

const LIST_INDENTATION = 'bad indentation: the "-" items of one list must line up'

/** Reasons whose position js-yaml gives exactly, in plain words. */
const AT_MARK: Record<string, (lineText: string) => string> = {
  'duplicated mapping key': (lineText) => `the same key appears twice (${lineText.split(':')[0]!.trim()})`,
  'bad indentation of a mapping entry': (lineText) =>
    /^\s*-/.test(lineText)
      ? LIST_INDENTATION
      : 'bad indentation: every key must start at the beginning of its line',
  'bad indentation of a sequence entry': () => LIST_INDENTATION,
  'incomplete explicit mapping pair': () =>
    'a colon inside a value needs the value in quotes, like subject: "Lesson 4: aftercare"',
  'unknown escape sequence': () =>
    'a backslash inside "double quotes" must be doubled (\\\\), or use single quotes',
  'the stream contains non-printable characters': () =>
    'an invisible control character is in the front matter: retype this line',
}

/** Reasons that mean "this line is not `key: value`", when no line before says why. */
const NOT_KEY_VALUE = [
  'can not read a block mapping entry',
  'can not read an implicit mapping pair',
  'end of the stream or a document separator is expected',
]

/** Characters that start something other than text in YAML, so a value starting with one needs quotes. */
const SPECIAL_START = /^[[\]{}*&!@`%]/

/**
 * Explains a front-matter parse error of the file `text`; undefined when `error` is not a YAML error
 * (such as the refusal of JavaScript front matter).
 */
export function explainYamlError(error: unknown, text: string): YamlProblem | undefined {
  const { mark, reason } = error as { mark?: { line: number }; reason?: string }
  if (!mark || reason === undefined) return undefined
  const lines = text.split(/\r?\n/)
  // mark.line is 0-based in the front matter, which starts right after the opening "---" (file line 1).
  const markLine = Math.min(mark.line + 1, lines.length)
  const unclosed = unclosedQuoteLine(lines, markLine)
  if (unclosed)
    return { line: unclosed.line, message: `a value is missing its closing quote (${unclosed.quote})` }
  const known = Object.keys(AT_MARK).find((start) => reason.startsWith(start))
  if (known) return { line: markLine, message: AT_MARK[known]!(lines[markLine - 1] ?? '') }
  for (let line = 2; line <= markLine; line++) {
    const message = diagnoseLine(lines[line - 1]!)
    if (message) return { line, message }
  }
  if (NOT_KEY_VALUE.some((start) => reason.startsWith(start)))
    return { line: markLine, message: 'every line must be key: value' }
  return { line: markLine, message: reason }
}

/** What is wrong with one front-matter line read on its own, if anything visibly is. */
function diagnoseLine(lineText: string): string | undefined {
  // Blank lines and comments are fine; an indented line continues the value above it (a long text,
  // a list item), so it is fine on its own too.
  if (/^\s|^#|^$/.test(lineText)) return undefined
  const colon = lineText.indexOf(':')
  if (colon < 0) return 'a colon is missing: write key: value'
  const value = lineText.slice(colon + 1)
  if (value !== '' && !/^\s/.test(value)) return 'a space is missing after the colon'
  const trimmed = value.trim()
  const quote = trimmed[0]
  if (quote === '"' || quote === "'") {
    const close = closingQuote(trimmed.slice(1), quote)
    if (close >= 0 && !isLineEnd(trimmed.slice(close + 2)))
      return 'there is text after the closing quote: put the whole value in quotes'
  }
  const special = SPECIAL_START.exec(trimmed)
  return special ? `a value starting with "${special[0]}" must be in quotes` : undefined
}

/**
 * The first line up to `last` whose value opens a quote that is never closed where a value ends.
 * A quoted value may go on over several lines: it is only broken when the quote mark closing it on a
 * later line is followed by more text, i.e. is really the opening quote of the next value.
 */
function unclosedQuoteLine(lines: string[], last: number): { line: number; quote: string } | undefined {
  for (let line = 2; line <= last; line++) {
    const open = /^[^\s#][^:]*:\s+(["'])(.*)$/.exec(lines[line - 1]!)
    if (!open) continue
    const end = closingLine(lines, line, last, open[1]!, open[2]!)
    if (end === undefined) return { line, quote: open[1]! }
    line = end
  }
  return undefined
}

/** The line on which a value quoted on `line` ends (text after a quote closed on the same line is `diagnoseLine`'s). */
function closingLine(lines: string[], line: number, last: number, quote: string, rest: string) {
  for (let at = line; at <= last; at++) {
    const text = at === line ? rest : lines[at - 1]!
    const close = closingQuote(text, quote)
    if (close >= 0) return at === line || isLineEnd(text.slice(close + 1)) ? at : undefined
  }
  return undefined
}

/** Where the quote closing a value is in `text`, skipping escapes (\" in double, '' in single quotes); -1 if none. */
function closingQuote(text: string, quote: string): number {
  const pattern = quote === '"' ? /\\.|"/g : /''|'/g
  for (const match of text.matchAll(pattern)) if (match[0] === quote) return match.index
  return -1
}

const isLineEnd = (text: string) => /^\s*(#.*)?$/.test(text)
