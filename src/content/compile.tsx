import { render, toPlainText } from '@react-email/render'
import type { ReactElement } from 'react'
import ConfirmEmail, { type Props as ConfirmProps } from '../../emails/confirm'
import InvitationEmail, { type Props as InvitationProps } from '../../emails/invitation'
import LessonEmail, { type Props as LessonProps } from '../../emails/lesson'
import NewsletterEmail, { type Props as NewsletterProps } from '../../emails/newsletter'
import { urls } from '../lib/links'
import { formatDateLabel } from './dates'
import { type CompiledEmail, type PersonalValues, toTemplate } from './personalize'
import { PLACEHOLDERS } from './placeholders'
import type { Course, Lesson, Newsletter, Pacing } from './types'

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

/** The values every personal placeholder stands for, as compiled once (personalize fills them). */
export const PLACEHOLDER_VALUES: PersonalValues = { ...PLACEHOLDERS }

/** What a lesson's email says of the course it belongs to, and of the course it offers (if any). */
export interface LessonContext {
  courseTitle: string
  number: number
  count: number
  offer?: Pick<Course, 'slug' | 'title' | 'description'>
  /** The course offers "Send me the next lesson now" (self-paced, or `next_now: true`). */
  nextNow?: boolean
  /** The course's disclaimer, under the lesson. */
  disclaimer?: string
}

/**
 * The props of each template, from the content and the personal values: placeholders when an email
 * is compiled once, sample values in the previews (`npm run email:dev`, /dev/emails).
 */
export function lessonProps(
  lesson: Lesson,
  context: LessonContext,
  site: SiteInfo,
  values: PersonalValues,
): LessonProps {
  return {
    courseName: context.courseTitle,
    siteUrl: site.baseUrl,
    title: lesson.title,
    preview: lesson.preview,
    body: lesson.tree,
    lessonNumber: context.number,
    lessonCount: context.count,
    postalAddress: site.postalAddress,
    firstName: values.firstName,
    unsubscribeUrl: values.unsubscribeUrl,
    preferencesUrl: values.preferencesUrl,
    viewInBrowserUrl: values.viewInBrowserUrl,
    // The public page, not the reader's own "view in browser" link: the same for everyone, no token.
    ...(lesson.sources?.length
      ? { sourcesUrl: `${urls.lesson(site.baseUrl, lesson.course, lesson.slug)}#sources` }
      : {}),
    ...(context.disclaimer ? { disclaimer: context.disclaimer } : {}),
    ...(context.offer
      ? {
          offer: {
            courseName: context.offer.title,
            description: context.offer.description,
            startUrl: values.offerUrl,
          },
        }
      : {}),
    ...(context.nextNow
      ? context.number < context.count
        ? { nextNow: { url: values.nextUrl } }
        : { nextNow: { last: true as const } }
      : {}),
  }
}

export function newsletterProps(
  newsletter: Newsletter,
  site: SiteInfo,
  values: PersonalValues,
): NewsletterProps {
  return {
    courseName: site.courseName,
    siteUrl: site.baseUrl,
    title: newsletter.title,
    preview: newsletter.preview,
    body: newsletter.tree,
    dateLabel: formatDateLabel(newsletter.date),
    postalAddress: site.postalAddress,
    firstName: values.firstName,
    unsubscribeUrl: values.unsubscribeUrl,
    preferencesUrl: values.preferencesUrl,
    viewInBrowserUrl: values.viewInBrowserUrl,
    ...(newsletter.sources?.length
      ? { sourcesUrl: `${urls.newsletter(site.baseUrl, newsletter.slug)}#sources` }
      : {}),
  }
}

export function confirmationProps(course: Course, site: SiteInfo, values: PersonalValues): ConfirmProps {
  return {
    courseName: course.title,
    siteUrl: site.baseUrl,
    firstName: values.firstName,
    confirmUrl: values.confirmUrl,
    unsubscribeUrl: values.unsubscribeUrl,
    lessonCount: course.lessons.length,
    postalAddress: site.postalAddress,
    firstLesson: firstLessonWords(course.pacing),
  }
}

export function invitationProps(course: Course, site: SiteInfo, values: PersonalValues): InvitationProps {
  return {
    courseName: course.title,
    siteUrl: site.baseUrl,
    firstName: values.firstName,
    startUrl: values.startUrl,
    unsubscribeUrl: values.unsubscribeUrl,
    lessonCount: course.lessons.length,
    postalAddress: site.postalAddress,
    firstLesson: firstLessonWords(course.pacing),
  }
}

/** Renders a lesson once, with placeholders for everything personal. */
export async function compileLesson(
  lesson: Lesson,
  context: LessonContext,
  site: SiteInfo,
): Promise<CompiledEmail> {
  const { html, text } = await renderParts(
    <LessonEmail {...lessonProps(lesson, context, site, PLACEHOLDER_VALUES)} />,
  )
  const asksNext = context.nextNow === true && context.number < context.count
  return {
    kind: 'lesson',
    course: lesson.course,
    slug: lesson.slug,
    ...(context.offer ? { offer: context.offer.slug } : {}),
    ...(asksNext ? { nextNow: true } : {}),
    subject: lesson.subject,
    preview: lesson.preview,
    html: toTemplate(html),
    text: toTemplate(text),
  }
}

/** Renders a newsletter issue once, with placeholders for everything personal. */
export async function compileNewsletter(newsletter: Newsletter, site: SiteInfo): Promise<CompiledEmail> {
  const { html, text } = await renderParts(
    <NewsletterEmail {...newsletterProps(newsletter, site, PLACEHOLDER_VALUES)} />,
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

/**
 * When the first lesson of a course comes, as the end of a sentence that fits any day the email is
 * read: a cohort's group start (or straight away once the group has begun); otherwise straight away.
 */
export function firstLessonWords(pacing: Pacing): string | undefined {
  if (pacing.mode !== 'cohort' || !pacing.starts) return undefined
  return `the first lesson arrives when your group starts (${formatDateLabel(pacing.starts)} for the current group), or straight away if it has begun`
}

/** The subject of a course's confirmation; it contains "Confirm" (other tools look for it). */
export const confirmationSubject = (course: Course) => `Confirm your subscription to ${course.title}`
/** The subject of a course's invitation; it contains "Start" (other tools look for it). */
export const invitationSubject = (course: Course) => `Start ${course.title}?`

/** The double opt-in email of a course. */
export async function compileConfirmation(course: Course, site: SiteInfo): Promise<CompiledEmail> {
  const { html, text } = await renderParts(
    <ConfirmEmail {...confirmationProps(course, site, PLACEHOLDER_VALUES)} />,
  )
  return {
    kind: 'confirmation',
    course: course.slug,
    slug: 'confirm',
    subject: confirmationSubject(course),
    preview: `One click to start the free ${course.lessons.length}-lesson course.`,
    html: toTemplate(html),
    text: toTemplate(text),
  }
}

/**
 * The email that asks someone already on the list whether to start another course they (or someone)
 * signed up for.
 */
export async function compileInvitation(course: Course, site: SiteInfo): Promise<CompiledEmail> {
  const { html, text } = await renderParts(
    <InvitationEmail {...invitationProps(course, site, PLACEHOLDER_VALUES)} />,
  )
  return {
    kind: 'invitation',
    course: course.slug,
    slug: 'start',
    subject: invitationSubject(course),
    preview: `One press starts the ${course.lessons.length}-lesson course.`,
    html: toTemplate(html),
    text: toTemplate(text),
  }
}
