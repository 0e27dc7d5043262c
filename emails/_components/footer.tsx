import { Hr, Section, Text } from 'react-email'
import { DISCLAIMER } from '../_lib/disclaimer'
import { EmailLink } from './link'
import { styles } from './theme'

export interface FooterProps {
  /** Why the reader gets this email, in one sentence. */
  reason: string
  unsubscribeUrl: string
  preferencesUrl: string
  viewInBrowserUrl: string
  postalAddress: string
  /** The course is education, not medical advice: said in every course and newsletter email (a course may word it its own way). */
  disclaimer?: string | false
  /**
   * The web page's Sources list (`…#sources`) and what it is the sources of ("lesson"), when the email
   * cites any: one line points there, so the email itself stays short.
   */
  sources?: { url: string; of: string }
}

export { DISCLAIMER }

/**
 * A " · " between links in the HTML that becomes a line break in the text part, so each link's long
 * personal URL gets a line of its own there (see TEXT_OPTIONS in src/content/compile.tsx).
 */
function TextBreak() {
  return <span data-text-break="true">{' · '}</span>
}

/** The footer of every course and newsletter email: why, how to leave, who sends it. */
export function Footer({
  reason,
  unsubscribeUrl,
  preferencesUrl,
  viewInBrowserUrl,
  postalAddress,
  disclaimer = DISCLAIMER,
  sources,
}: FooterProps) {
  return (
    <Section>
      <Hr style={styles.hr} />
      {sources ? (
        <Text style={styles.footer}>
          {`Sources for this ${sources.of} are listed on `}
          <EmailLink href={sources.url} style={styles.footerLink}>
            its web page
          </EmailLink>
          .
        </Text>
      ) : null}
      {disclaimer ? <Text style={styles.footer}>{disclaimer}</Text> : null}
      <Text style={styles.footer}>{reason}</Text>
      <Text style={styles.footer}>
        <EmailLink href={unsubscribeUrl} style={styles.footerLink}>
          Unsubscribe
        </EmailLink>
        <TextBreak />
        <EmailLink href={preferencesUrl} style={styles.footerLink}>
          Email preferences
        </EmailLink>
        <TextBreak />
        <EmailLink href={viewInBrowserUrl} style={styles.footerLink}>
          View in browser
        </EmailLink>
      </Text>
      <Text style={styles.footer}>{postalAddress}</Text>
    </Section>
  )
}
