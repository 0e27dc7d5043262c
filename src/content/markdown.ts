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

function checkNode(node: Nodes, problems: MarkdownProblem[]) {
  const line = node.position?.start.line ?? 1
  const unsupported = UNSUPPORTED[node.type]
  if (unsupported) {
    problems.push({ line, message: unsupported })
    return
  }
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
export function parseMarkdown(markdown: string): { tree: Root; problems: MarkdownProblem[] } {
  const tree = fromMarkdown(markdown)
  const problems: MarkdownProblem[] = []
  checkNode(tree, problems)
  if (!tree.children.some((child) => child.type !== 'definition')) {
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
