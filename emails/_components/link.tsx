import type { CSSProperties, ReactNode } from 'react'

/**
 * A plain link. Not React Email's `<Link>`: that one adds `target="_blank"` and
 * `text-decoration-line: none`, both listed by caniemail as unsupported in Gmail, Outlook or Yahoo,
 * and neither needed: mail apps open links their own way, and our style sets the underline.
 */
export function EmailLink({
  href,
  style,
  children,
}: {
  href: string
  style: CSSProperties
  children: ReactNode
}) {
  return (
    <a href={href} style={style}>
      {children}
    </a>
  )
}
