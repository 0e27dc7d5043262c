import type { Nodes, Root } from 'mdast'
import { fromMarkdown } from 'mdast-util-from-markdown'

/**
 * What the templates need of Markdown: a tree to render (the build passes the one it validated; the
 * preview server's sample props are parsed here), and the last line of defence against content that
 * should never reach an email (the build refuses it with file and line long before).
 */

export function markdownTree(markdown: string): Root {
  return fromMarkdown(markdown)
}

const LINK_PROTOCOLS = /^(https?|mailto):/i

/** Why a node must not be rendered, or null when it may. */
export function refusal(node: Nodes): string | null {
  if (node.type === 'html') return 'raw HTML'
  if (node.type === 'link' && !LINK_PROTOCOLS.test(node.url)) return `link to ${node.url}`
  if (node.type === 'image') {
    if (!node.alt?.trim()) return 'image without alt text'
    if (!/^https:/i.test(node.url)) return `image from ${node.url}`
  }
  return null
}
