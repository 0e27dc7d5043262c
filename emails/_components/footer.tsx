import { Hr, Link, Section, Text } from 'react-email'
import { styles } from './theme'

export interface FooterProps {
  /** Why the reader gets this email, in one sentence. */
  reason: string
  unsubscribeUrl: string
  preferencesUrl: string
  viewInBrowserUrl: string
  postalAddress: string
  /** The course is education, not medical advice: said in every course and newsletter email. */
  disclaimer?: boolean
}

export const DISCLAIMER =
  'This course is education, not medical advice. Talk to a qualified practitioner or doctor about your own situation.'

/** The footer of every course and newsletter email: why, how to leave, who sends it. */
export function Footer({
  reason,
  unsubscribeUrl,
  preferencesUrl,
  viewInBrowserUrl,
  postalAddress,
  disclaimer = true,
}: FooterProps) {
  return (
    <Section>
      <Hr style={styles.hr} />
      {disclaimer ? <Text style={styles.footer}>{DISCLAIMER}</Text> : null}
      <Text style={styles.footer}>{reason}</Text>
      <Text style={styles.footer}>
        <Link href={unsubscribeUrl} style={styles.footerLink}>
          Unsubscribe
        </Link>
        {' · '}
        <Link href={preferencesUrl} style={styles.footerLink}>
          Email preferences
        </Link>
        {' · '}
        <Link href={viewInBrowserUrl} style={styles.footerLink}>
          View in browser
        </Link>
      </Text>
      <Text style={styles.footer}>{postalAddress}</Text>
    </Section>
  )
}
