import { type Content, lessonContext } from './catalog'
import {
  confirmationProps,
  confirmationSubject,
  invitationProps,
  invitationSubject,
  lessonProps,
  newsletterProps,
  type SiteInfo,
} from './compile'
import type { CompiledEmail } from './personalize'
import { sampleValues } from './sample-values'

export { sampleValues }

/**
 * Every email of the content with sample personal values, for the author's previews (React Email's
 * preview server through `npm run email:dev`, and the /dev/emails page): what a reader called Sam
 * would get, links and all, with "preview" where their signed tokens would be.
 */

export type PreviewTemplate = 'lesson' | 'newsletter' | 'confirm' | 'invitation'

export interface PreviewEmail {
  kind: CompiledEmail['kind']
  course: string | null
  slug: string
  /** Where it comes from, as the author knows it (`lessons/…/NN-x.md`). */
  file: string
  subject: string
  template: PreviewTemplate
  props: object
}

/** Each course's lessons, confirmation and invitation, then each newsletter issue. */
export function previewEmails(
  content: Pick<Content, 'courses' | 'newsletters' | 'course'>,
  site: SiteInfo,
): PreviewEmail[] {
  const emails: PreviewEmail[] = []
  const base = site.baseUrl
  for (const course of content.courses) {
    course.lessons.forEach((lesson, index) => {
      emails.push({
        kind: 'lesson',
        course: course.slug,
        slug: lesson.slug,
        file: lesson.file,
        subject: lesson.subject,
        template: 'lesson',
        props: lessonProps(
          lesson,
          lessonContext(course, index, content.course),
          site,
          sampleValues(base, course.slug, lesson.slug, 'lesson'),
        ),
      })
    })
    emails.push({
      kind: 'confirmation',
      course: course.slug,
      slug: 'confirm',
      file: course.file,
      subject: confirmationSubject(course),
      template: 'confirm',
      props: confirmationProps(course, site, sampleValues(base, course.slug, 'confirm', 'confirmation')),
    })
    emails.push({
      kind: 'invitation',
      course: course.slug,
      slug: 'start',
      file: course.file,
      subject: invitationSubject(course),
      template: 'invitation',
      props: invitationProps(course, site, sampleValues(base, course.slug, 'start', 'invitation')),
    })
  }
  for (const issue of content.newsletters)
    emails.push({
      kind: 'newsletter',
      course: null,
      slug: issue.slug,
      file: issue.file,
      subject: issue.subject,
      template: 'newsletter',
      props: newsletterProps(issue, site, sampleValues(base, null, issue.slug, 'newsletter')),
    })
  return emails
}
