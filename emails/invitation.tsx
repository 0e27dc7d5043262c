import { Button, Heading, Hr, Section, Text } from 'react-email'
import { Layout } from './_components/layout'
import { EmailLink } from './_components/link'
import { styles } from './_components/theme'

export interface Props {
  courseName: string
  siteUrl: string
  firstName: string
  startUrl: string
  unsubscribeUrl: string
  lessonCount: number
  /** When the first lesson comes, as the end of a sentence (default: "the first lesson comes straight after"). */
  firstLesson?: string
  postalAddress: string
}

/**
 * Someone already on the list signed up for another course through a public form: they start it
 * themselves, with the button (a stranger who typed their address cannot enrol them).
 */
export default function InvitationEmail(props: Props) {
  const { courseName, siteUrl, startUrl, lessonCount } = props
  return (
    <Layout
      title={`Start ${courseName}?`}
      preview={`One click starts the ${lessonCount}-lesson course. Not you? Ignore this email.`}
      eyebrow={courseName}
    >
      <Heading as="h1" style={styles.title}>
        {`Start ${courseName}?`}
      </Heading>
      <Text style={styles.paragraph}>{`Hi ${props.firstName},`}</Text>
      <Text style={styles.paragraph}>
        {`Your address was entered to start "${courseName}" (${lessonCount} short lessons). You already get email from us, so one press is all it takes: ${props.firstLesson ?? 'the first lesson comes straight after'}.`}
      </Text>
      <Section style={{ margin: '8px 0 24px' }}>
        <Button href={startUrl} style={styles.button}>
          {`Start ${courseName}`}
        </Button>
      </Section>
      <Text style={styles.paragraph}>
        If the button does not work, open this link:{' '}
        <EmailLink href={startUrl} style={styles.link}>
          {startUrl}
        </EmailLink>
      </Text>
      <Text style={styles.paragraph}>
        If you did not ask for this, ignore this email: nothing changes for you.
      </Text>
      <Hr style={styles.hr} />
      <Text style={styles.footer}>{`You received this because your address was entered at ${siteUrl}.`}</Text>
      <Text style={styles.footer}>
        <EmailLink href={props.unsubscribeUrl} style={styles.footerLink}>
          Unsubscribe from everything
        </EmailLink>
      </Text>
      <Text style={styles.footer}>{props.postalAddress}</Text>
    </Layout>
  )
}

InvitationEmail.PreviewProps = {
  courseName: 'Unhappy with your SMP?',
  siteUrl: 'http://localhost:3000',
  firstName: 'Sam',
  startUrl: 'http://localhost:3000/courses/unhappy-with-your-smp/start?token=preview',
  unsubscribeUrl: 'http://localhost:3000/unsubscribe?token=preview',
  lessonCount: 5,
  postalAddress: '1 Example Street, Example Town',
} satisfies Props
