import { Button, Heading, Hr, Section, Text } from 'react-email'
import { Layout } from './_components/layout'
import { EmailLink } from './_components/link'
import { styles } from './_components/theme'

export interface Props {
  courseName: string
  siteUrl: string
  firstName: string
  confirmUrl: string
  /** Opt-out: after it, a new signup of the address gets at most one confirmation a day. */
  unsubscribeUrl: string
  lessonCount: number
  postalAddress: string
  /** When the first lesson comes, as the end of a sentence (default: "the first lesson arrives straight away"). */
  firstLesson?: string
}

/** The double opt-in email: one button, and a clear way to ignore it. */
export default function ConfirmEmail(props: Props) {
  const { courseName, siteUrl, confirmUrl, lessonCount } = props
  return (
    <Layout
      title={`Confirm your subscription to ${courseName}`}
      preview={`One click to start the free ${lessonCount}-lesson course. Not you? Ignore this email.`}
      eyebrow={courseName}
    >
      <Heading as="h1" style={styles.title}>
        Please confirm your subscription
      </Heading>
      <Text style={styles.paragraph}>{`Hi ${props.firstName},`}</Text>
      <Text style={styles.paragraph}>
        {`Someone, hopefully you, asked to receive the free email course "${courseName}" (${lessonCount} short lessons, spread over a few weeks). Confirm your address and ${props.firstLesson ?? 'the first lesson arrives straight away'}.`}
      </Text>
      <Section style={{ margin: '8px 0 24px' }}>
        <Button href={confirmUrl} style={styles.button}>
          Confirm my subscription
        </Button>
      </Section>
      <Text style={styles.paragraph}>
        If the button does not work, open this link:{' '}
        <EmailLink href={confirmUrl} style={styles.link}>
          {confirmUrl}
        </EmailLink>
      </Text>
      <Text style={styles.paragraph}>
        If you did not ask for this, ignore this email: nothing more will be sent to you. The link expires in
        7 days.
      </Text>
      <Hr style={styles.hr} />
      <Text
        style={styles.footer}
      >{`You received this one email because your address was entered at ${siteUrl}.`}</Text>
      <Text style={styles.footer}>
        Not you?{' '}
        <EmailLink href={props.unsubscribeUrl} style={styles.footerLink}>
          Unsubscribe
        </EmailLink>
        : this address then gets nothing more from us unless it is entered on the form again, and even then at
        most one confirmation a day.
      </Text>
      <Text style={styles.footer}>{props.postalAddress}</Text>
    </Layout>
  )
}

ConfirmEmail.PreviewProps = {
  courseName: 'Avoiding SMP regrets',
  siteUrl: 'http://localhost:3000',
  firstName: 'Sam',
  confirmUrl: 'http://localhost:3000/confirm?token=preview',
  unsubscribeUrl: 'http://localhost:3000/unsubscribe?token=preview',
  lessonCount: 7,
  postalAddress: '1 Example Street, Example Town',
} satisfies Props
