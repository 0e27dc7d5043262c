import type { Root } from 'mdast'
import { Heading, Text } from 'react-email'
import { Footer } from './_components/footer'
import { Layout } from './_components/layout'
import { MarkdownBody } from './_components/markdown-body'
import { styles } from './_components/theme'
import { markdownTree } from './_lib/markdown'

export interface Props {
  courseName: string
  siteUrl: string
  title: string
  preview: string
  /** The body, parsed (and checked) when the content was loaded. */
  body: Root
  /** Publication date as shown to readers, e.g. "16 November 2026". */
  dateLabel: string
  firstName: string
  unsubscribeUrl: string
  preferencesUrl: string
  viewInBrowserUrl: string
  postalAddress: string
  /** The web page's Sources heading (`…#sources`), when the issue cites sources. */
  sourcesUrl?: string
}

/** A one-off newsletter issue. */
export default function NewsletterEmail(props: Props) {
  const { courseName, siteUrl, title, preview, body, dateLabel } = props
  return (
    <Layout title={title} preview={preview} eyebrow={`${courseName} · Newsletter · ${dateLabel}`}>
      <Heading as="h1" style={styles.title}>
        {title}
      </Heading>
      <Text style={styles.paragraph}>{`Hi ${props.firstName},`}</Text>
      <MarkdownBody tree={body} />
      <Footer
        reason={`You are receiving this because you subscribed to "${courseName}" at ${siteUrl} and chose to get occasional newsletter issues. You can turn them off and keep the course.`}
        unsubscribeUrl={props.unsubscribeUrl}
        preferencesUrl={props.preferencesUrl}
        viewInBrowserUrl={props.viewInBrowserUrl}
        postalAddress={props.postalAddress}
        {...(props.sourcesUrl ? { sources: { url: props.sourcesUrl, of: 'issue' } } : {})}
      />
    </Layout>
  )
}

NewsletterEmail.PreviewProps = {
  courseName: 'Avoiding SMP regrets',
  siteUrl: 'http://localhost:3000',
  title: 'Why healed results matter',
  preview: 'Fresh photos flatter every treatment. Here is how to ask for the ones that count.',
  body: markdownTree(
    'Fresh results look crisp. **Healed** results show what you will live with.\n\n1. Ask for photos\n2. Ask how old they are\n',
  ),
  dateLabel: '16 November 2026',
  firstName: 'Sam',
  unsubscribeUrl: 'http://localhost:3000/unsubscribe?token=preview',
  preferencesUrl: 'http://localhost:3000/preferences?token=preview',
  viewInBrowserUrl: 'http://localhost:3000/newsletters/healed-results',
  postalAddress: '1 Example Street, Example Town',
} satisfies Props
