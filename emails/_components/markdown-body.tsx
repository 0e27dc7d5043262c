import type { Nodes, Root, RootContent } from 'mdast'
import type { ReactNode } from 'react'
import { Heading, Hr, Img, Text } from 'react-email'
import { refusal } from '../_lib/markdown'
import { EmailLink } from './link'
import { styles } from './theme'

function renderChildren(nodes: readonly RootContent[], tight = false): ReactNode[] {
  return nodes.map((node, index) => renderNode(node, `${node.type}-${index}`, tight))
}

/** One mdast node as email-safe markup; every style inline. */
function renderNode(node: Nodes, key: string, tight: boolean): ReactNode {
  const refused = refusal(node)
  if (refused) throw new Error(`Markdown refused: ${refused} (line ${node.position?.start.line ?? '?'})`)
  switch (node.type) {
    case 'root':
      return renderChildren(node.children)
    case 'paragraph':
      // Inside a tight list item a paragraph is just its text, without the paragraph margins.
      if (tight) return <span key={key}>{renderChildren(node.children)}</span>
      return (
        <Text key={key} style={styles.paragraph}>
          {renderChildren(node.children)}
        </Text>
      )
    case 'heading': {
      const level = node.depth <= 2 ? 'h2' : node.depth === 3 ? 'h3' : 'h4'
      return (
        <Heading key={key} as={level} style={styles[level]}>
          {renderChildren(node.children)}
        </Heading>
      )
    }
    case 'text':
      return node.value
    case 'emphasis':
      return <em key={key}>{renderChildren(node.children)}</em>
    case 'strong':
      return <strong key={key}>{renderChildren(node.children)}</strong>
    case 'inlineCode':
      return (
        <code key={key} style={styles.code}>
          {node.value}
        </code>
      )
    case 'code':
      return (
        <pre key={key} style={styles.pre}>
          {node.value}
        </pre>
      )
    case 'break':
      return <br key={key} />
    case 'link':
      return (
        <EmailLink key={key} href={node.url} style={styles.link}>
          {renderChildren(node.children)}
        </EmailLink>
      )
    case 'image':
      return <Img key={key} src={node.url} alt={node.alt ?? ''} style={styles.image} />
    case 'list': {
      const items = node.children.map((item, index) => (
        <li key={`li-${index}`} style={styles.listItem}>
          {renderChildren(item.children, !node.spread && !item.spread)}
        </li>
      ))
      return node.ordered ? (
        <ol key={key} start={node.start ?? 1} style={styles.list}>
          {items}
        </ol>
      ) : (
        <ul key={key} style={styles.list}>
          {items}
        </ul>
      )
    }
    case 'blockquote':
      return (
        <blockquote key={key} style={styles.quote}>
          {renderChildren(node.children)}
        </blockquote>
      )
    case 'thematicBreak':
      return <Hr key={key} style={styles.hr} />
    default:
      // Loading refuses everything else; reaching here is a bug.
      throw new Error(`Markdown node "${node.type}" cannot be rendered in an email`)
  }
}

/**
 * A Markdown tree (parsed and checked once, when the content was loaded) as React Email components.
 * Anything that should never reach an email (raw HTML, an image without alt text, an unsafe link)
 * is refused rather than passed through.
 */
export function MarkdownBody({ tree }: { tree: Root }) {
  return <>{renderChildren(tree.children)}</>
}
