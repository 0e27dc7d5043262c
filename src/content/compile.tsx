import { render, toPlainText } from '@react-email/render'
import type { ReactElement } from 'react'
import ConfirmEmail from '../../emails/confirm'
import InvitationEmail from '../../emails/invitation'
import LessonEmail from '../../emails/lesson'
import NewsletterEmail from '../../emails/newsletter'
import { type CompiledEmail, toTemplate } from './personalize'
import { PLACEHOLDERS } from './placeholders'
import type { Course, Lesson, Newsletter } from './types'

/** What every email says about the sender. */
export interface SiteInfo {
  /** The site's name (newsletters; each course has its own title). */
  courseName: string
  baseUrl: string
  postalAddress: string
}

/**
 * html-to-text settings for the text part: lines wrapped at 78 characters (RFC 5322's advice),
 * every link's URL shown after its text, the hidden preheader and images left out.
 */
const TEXT_OPTIONS = {
  wordwrap: 78,
  selectors: [
    { selector: 'img', format: 'skip' },
    { selector: '[data-skip-in-text=true]', format: 'skip' },
    { selector: '[data-text-break=true]', format: 'lineBreak' },
    {
      selector: 'a',
      options: { hideLinkHrefIfSameAsText: true, linkBrackets: ['<', '>'] as [string, string] },
    },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'ul', options: { itemPrefix: ' - ' } },
    { selector: 'hr', options: { length: 40 } },
  ],
}

async function renderParts(element: ReactElement): Promise<{ html: string; text: string }> {
  const html = await render(element)
  return { html, text: `${toPlainText(html, TEXT_OPTIONS).trim()}\n` }
}

/** Formats YYYY-MM-DD as "16 November 2026". */
export function formatDateLabel(date: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(`${date}T00:00:00Z`))
}

const personal = {
  firstName: PLACEHOLDERS.firstName,
  unsubscribeUrl: PLACEHOLDERS.unsubscribeUrl,
  preferencesUrl: PLACEHOLDERS.preferencesUrl,
  viewInBrowserUrl: PLACEHOLDERS.viewInBrowserUrl,
}

/** What a lesson's email says of the course it belongs to, and of the course it offers (if any). */
export interface LessonContext {
  courseTitle: string
  number: number
  count: number
  offer?: Pick<Course, 'slug' | 'title' | 'description'>
}

/** Renders a lesson once, with placeholders for everything personal. */
export async function compileLesson(
  lesson: Lesson,
  context: LessonContext,
  site: SiteInfo,
): Promise<CompiledEmail> {
  const { html, text } = await renderParts(
    <LessonEmail
      courseName={context.courseTitle}
      siteUrl={site.baseUrl}
      title={lesson.title}
      preview={lesson.preview}
      body={lesson.tree}
      lessonNumber={context.number}
      lessonCount={context.count}
      postalAddress={site.postalAddress}
      {...personal}
      {...(context.offer
        ? {
            offer: {
              courseName: context.offer.title,
              description: context.offer.description,
              startUrl: PLACEHOLDERS.offerUrl,
            },
          }
        : {})}
    />,
  )
  return {
    kind: 'lesson',
    course: lesson.course,
    slug: lesson.slug,
    ...(context.offer ? { offer: context.offer.slug } : {}),
    subject: lesson.subject,
    preview: lesson.preview,
    html: toTemplate(html),
    text: toTemplate(text),
  }
}

/** Renders a newsletter issue once, with placeholders for everything personal. */
export async function compileNewsletter(newsletter: Newsletter, site: SiteInfo): Promise<CompiledEmail> {
  const { html, text } = await renderParts(
    <NewsletterEmail
      courseName={site.courseName}
      siteUrl={site.baseUrl}
      title={newsletter.title}
      preview={newsletter.preview}
      body={newsletter.tree}
      dateLabel={formatDateLabel(newsletter.date)}
      postalAddress={site.postalAddress}
      {...personal}
    />,
  )
  return {
    kind: 'newsletter',
    course: null,
    slug: newsletter.slug,
    subject: newsletter.subject,
    preview: newsletter.preview,
    html: toTemplate(html),
    text: toTemplate(text),
  }
}

/** The double opt-in email of a course. Its subject contains "Confirm" (other tools look for it). */
export async function compileConfirmation(course: Course, site: SiteInfo): Promise<CompiledEmail> {
  const lessonCount = course.lessons.length
  const { html, text } = await renderParts(
    <ConfirmEmail
      courseName={course.title}
      siteUrl={site.baseUrl}
      firstName={PLACEHOLDERS.firstName}
      confirmUrl={PLACEHOLDERS.confirmUrl}
      unsubscribeUrl={PLACEHOLDERS.unsubscribeUrl}
      lessonCount={lessonCount}
      postalAddress={site.postalAddress}
    />,
  )
  return {
    kind: 'confirmation',
    course: course.slug,
    slug: 'confirm',
    subject: `Confirm your subscription to ${course.title}`,
    preview: `One click to start the free ${lessonCount}-lesson course.`,
    html: toTemplate(html),
    text: toTemplate(text),
  }
}

/**
 * The email that asks someone already on the list whether to start another course they (or someone)
 * signed up for. Its subject contains "Start" (other tools look for it).
 */
export async function compileInvitation(course: Course, site: SiteInfo): Promise<CompiledEmail> {
  const lessonCount = course.lessons.length
  const { html, text } = await renderParts(
    <InvitationEmail
      courseName={course.title}
      siteUrl={site.baseUrl}
      firstName={PLACEHOLDERS.firstName}
      startUrl={PLACEHOLDERS.startUrl}
      unsubscribeUrl={PLACEHOLDERS.unsubscribeUrl}
      lessonCount={lessonCount}
      postalAddress={site.postalAddress}
    />,
  )
  return {
    kind: 'invitation',
    course: course.slug,
    slug: 'start',
    subject: `Start ${course.title}?`,
    preview: `One press starts the ${lessonCount}-lesson course.`,
    html: toTemplate(html),
    text: toTemplate(text),
  }
}
