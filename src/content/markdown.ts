import type { Nodes, Root } from 'mdast'
import { fromMarkdown } from 'mdast-util-from-markdown'

/** A problem found in Markdown, with the line it is on (1-based, relative to the text given). */
export interface MarkdownProblem {
  line: number
  message: string
}

const ALLOWED_LINK_PROTOCOLS = new Set(['https:', 'http:', 'mailto:'])

/** What each unsupported construct is, in words an author understands, and what to write instead. */
const UNSUPPORTED: Partial<Record<Nodes['type'], string>> = {
  html: 'raw HTML is not allowed in lessons (it would reach inboxes unchecked); write Markdown instead',
  definition: 'reference-style link definitions are not supported; write [text](https://…) inline',
  linkReference: 'reference-style links are not supported; write [text](https://…) inline',
  imageReference: 'reference-style images are not supported; write ![alt text](https://…) inline',
}

function checkUrl(url: string, what: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return `${what} "${url}" is not an absolute URL (start it with https://)`
  }
  if (!ALLOWED_LINK_PROTOCOLS.has(parsed.protocol))
    return `${what} "${url}" uses ${parsed.protocol}, which is not allowed`
  return null
}

/**
 * Anything shaped like the placeholders `personalize` fills in per recipient: the known ones and, to be
 * safe, any `%%UPPER_CASE%%`. Typed into content, one would be replaced with reader data or left as is.
 */
const PLACEHOLDER_LIKE = /%%[A-Z][A-Z0-9_]*%%/g

/** One message per placeholder-like token in `text`, with where it starts in `text`. */
export function placeholderMessages(text: string): { index: number; message: string }[] {
  return [...text.matchAll(PLACEHOLDER_LIKE)].map((match) => ({
    index: match.index,
    message: `"${match[0]}" looks like a template placeholder; it would be replaced with reader data or left as is: remove it`,
  }))
}

const lineCount = (node: Nodes) => (node.position ? node.position.end.line - node.position.start.line + 1 : 1)

/** Placeholders in what a node shows or links to. Checked on the parsed text, so `FIRST\_NAME` is caught too. */
function checkPlaceholders(node: Nodes, line: number, problems: MarkdownProblem[]) {
  // A fenced code block starts with its fence line, one more than the lines of its text.
  const fenced = node.type === 'code' && lineCount(node) > node.value.split('\n').length
  const first = fenced ? line + 1 : line
  const texts = [
    'value' in node ? node.value : null,
    'url' in node ? node.url : null,
    'title' in node ? node.title : null,
    'alt' in node ? node.alt : null,
  ]
  for (const text of texts) {
    if (!text) continue
    for (const { index, message } of placeholderMessages(text)) {
      // A paragraph's text spans its soft line breaks: count them to name the line the token is on.
      problems.push({ line: first + (text.slice(0, index).match(/\n/g)?.length ?? 0), message })
    }
  }
}

function checkNode(node: Nodes, problems: MarkdownProblem[]) {
  const line = node.position?.start.line ?? 1
  const unsupported = UNSUPPORTED[node.type]
  if (unsupported) {
    problems.push({ line, message: unsupported })
    return
  }
  checkPlaceholders(node, line, problems)
  if (node.type === 'heading' && node.depth === 1) {
    problems.push({ line, message: 'a "#" heading repeats the title; start body headings at "##"' })
  }
  if (node.type === 'link') {
    const problem = checkUrl(node.url, 'link')
    if (problem) problems.push({ line, message: problem })
  }
  if (node.type === 'image') {
    if (!node.alt?.trim())
      problems.push({ line, message: 'image without alt text: write ![what the image shows](url)' })
    let secure = false
    try {
      secure = new URL(node.url).protocol === 'https:'
    } catch {}
    if (!secure) problems.push({ line, message: `image "${node.url}" must be an absolute https:// URL` })
  }
  if ('children' in node) for (const child of node.children) checkNode(child as Nodes, problems)
}

/**
 * Parses CommonMark into an mdast tree and lists everything an email cannot carry safely.
 * The same parse feeds validation (at load) and rendering (in the templates).
 */
export function parseMarkdown(
  markdown: string,
  options: { allowEmpty?: boolean } = {},
): { tree: Root; problems: MarkdownProblem[] } {
  const tree = fromMarkdown(markdown)
  const problems: MarkdownProblem[] = []
  checkNode(tree, problems)
  if (!options.allowEmpty && !tree.children.some((child) => child.type !== 'definition')) {
    problems.push({ line: 1, message: 'the body is empty' })
  }
  return { tree, problems }
}

/** Words of running text (for length checks and reading-time estimates). */
export function countWords(markdown: string): number {
  return markdown
    .replace(/!\[[^\]]*]\([^)]*\)/g, ' ')
    .replace(/\]\([^)]*\)/g, ' ')
    .split(/\s+/)
    .filter((word) => /[\p{L}\p{N}]/u.test(word)).length
}
