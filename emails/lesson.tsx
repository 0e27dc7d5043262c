import type { Root } from 'mdast'
import { Button, Heading, Section, Text } from 'react-email'
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
  lessonNumber: number
  lessonCount: number
  firstName: string
  unsubscribeUrl: string
  preferencesUrl: string
  viewInBrowserUrl: string
  postalAddress: string
  /** The web page's Sources heading (`…#sources`), when the lesson cites sources. */
  sourcesUrl?: string
  /** The course's disclaimer (default: the footer's). */
  disclaimer?: string
  /** Another course this lesson offers, with the reader's own signed link to start it. */
  offer?: { courseName: string; description: string; startUrl: string }
  /** The course lets readers ask for the next lesson now (the reader's signed link); the last lesson says the course is complete. */
  nextNow?: { url: string } | { last: true }
}

/** One lesson of the course. */
export default function LessonEmail(props: Props) {
  const { courseName, siteUrl, title, preview, body, lessonNumber, lessonCount } = props
  return (
    <Layout
      title={title}
      preview={preview}
      eyebrow={`${courseName} · Lesson ${lessonNumber} of ${lessonCount}`}
    >
      <Heading as="h1" style={styles.title}>
        {title}
      </Heading>
      <Text style={styles.paragraph}>{`Hi ${props.firstName},`}</Text>
      <MarkdownBody tree={body} />
      {props.nextNow && 'url' in props.nextNow ? (
        <Section style={styles.offer}>
          <Text style={styles.paragraph}>
            Ready for more? The next lesson can come now instead of on its day; the ones after it keep their
            spacing from there.
          </Text>
          <Button href={props.nextNow.url} style={styles.button}>
            Send me the next lesson now
          </Button>
        </Section>
      ) : null}
      {props.nextNow && 'last' in props.nextNow ? (
        <Text
          style={styles.paragraph}
        >{`This was the last lesson: you have completed "${courseName}".`}</Text>
      ) : null}
      {props.offer ? (
        <Section style={styles.offer}>
          <Text style={styles.offerTitle}>{props.offer.courseName}</Text>
          <Text style={styles.paragraph}>{props.offer.description}</Text>
          <Button href={props.offer.startUrl} style={styles.button}>
            {`Start ${props.offer.courseName}`}
          </Button>
        </Section>
      ) : null}
      <Footer
        reason={`You are receiving this because you signed up for the free email course "${courseName}" at ${siteUrl} and confirmed your address. Unsubscribe leaves this course only; the page it opens can stop all email from us.`}
        unsubscribeUrl={props.unsubscribeUrl}
        preferencesUrl={props.preferencesUrl}
        viewInBrowserUrl={props.viewInBrowserUrl}
        postalAddress={props.postalAddress}
        {...(props.sourcesUrl ? { sources: { url: props.sourcesUrl, of: 'lesson' } } : {})}
        {...(props.disclaimer ? { disclaimer: props.disclaimer } : {})}
      />
    </Layout>
  )
}

LessonEmail.PreviewProps = {
  courseName: 'Avoiding SMP regrets',
  siteUrl: 'http://localhost:3000',
  title: 'What SMP is, and what it is not',
  preview: 'A plain-English start: the treatment, what it can do, and what it cannot.',
  body: markdownTree(
    'Scalp micropigmentation places tiny dots of pigment in the scalp.\n\n## What it is not\n\n- Not surgery\n- Not hair growth\n\n> Take your time.\n',
  ),
  lessonNumber: 1,
  lessonCount: 7,
  firstName: 'Sam',
  unsubscribeUrl: 'http://localhost:3000/unsubscribe?token=preview',
  preferencesUrl: 'http://localhost:3000/preferences?token=preview',
  viewInBrowserUrl: 'http://localhost:3000/lessons/welcome',
  postalAddress: '1 Example Street, Example Town',
  sourcesUrl: 'http://localhost:3000/courses/avoiding-smp-regrets/lessons/welcome#sources',
} satisfies Props
