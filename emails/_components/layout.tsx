import type { ReactNode } from 'react'
import { Body, Container, Head, Html, Preview, Text } from 'react-email'
import { styles } from './theme'

export interface LayoutProps {
  /** Shown in the browser tab of the web version and read by some clients. */
  title: string
  /** The preheader: the line inbox lists show after the subject. */
  preview: string
  /** Small line above the content, e.g. the course name and lesson number. */
  eyebrow: string
  children: ReactNode
}

/** The frame of every email: language, preheader, a 600 px card on a light page, inline styles only. */
export function Layout({ title, preview, eyebrow, children }: LayoutProps) {
  return (
    <Html lang="en" dir="ltr">
      <Head>
        {/* Without it a phone lays the web version (and Apple Mail the email) out 980 px wide and
            shrinks it to fit: 16 px text reads as 6 px. */}
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
      </Head>
      <Preview useTitleTag={false}>{preview}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Text style={styles.brand}>{eyebrow}</Text>
          {children}
        </Container>
      </Body>
    </Html>
  )
}
