import { formatDateLabel } from '../../content/dates'
import type { Course } from '../../content/types'
import { dayZero } from '../../course/plan'
import { urls } from '../../lib/links'
import { CONSENT_TEXT } from '../../subscribers/consent'
import type { SignupErrors } from '../../subscribers/signup'
import { html, type SafeHtml } from '../html'
import { page } from '../layout'

export interface SignupFormState {
  email?: string
  name?: string
  timezone?: string
  errors?: SignupErrors
}

/** aria attributes and the message of a field with a problem. */
function fieldError(field: string, error: string | undefined) {
  return {
    attributes: error ? html` aria-invalid="true" aria-describedby="${field}-error"` : '',
    message: error ? html`<p class="error" id="${field}-error" role="alert">${error}</p>` : '',
  }
}

/** The form for one course, as first shown or re-shown with the typed values and each problem beside its field. */
export function signupForm(course: Pick<Course, 'slug' | 'title'>, state: SignupFormState = {}) {
  const email = fieldError('email', state.errors?.email)
  const name = fieldError('name', state.errors?.name)
  return html`<form method="post" action="/subscribe" class="card" novalidate>
  <input type="hidden" name="course" value="${course.slug}">
  ${state.errors?.course ? html`<p class="error" role="alert">${state.errors.course}</p>` : ''}
  <label for="email">Email address</label>
  <input id="email" name="email" type="email" autocomplete="email" required maxlength="254"
    value="${state.email ?? ''}"${email.attributes}>
  ${email.message}
  <label for="name">First name <span class="muted">(optional)</span></label>
  <input id="name" name="name" type="text" autocomplete="given-name" maxlength="100" value="${state.name ?? ''}"${name.attributes}>
  ${name.message}
  <input type="hidden" name="timezone" value="${state.timezone ?? ''}">
  <div class="hp" aria-hidden="true">
    <label for="website">Leave this field empty</label>
    <input id="website" name="website" type="text" tabindex="-1" autocomplete="off">
  </div>
  <p class="hint">${CONSENT_TEXT}</p>
  <button type="submit">Start the free course</button>
</form>`
}

/** "Written by …, last reviewed …", as health publishers show it. */
function byline(course: Course) {
  const parts = [
    course.author ? `Written by ${course.author}` : null,
    course.reviewed ? `last reviewed ${formatDateLabel(course.reviewed)}` : null,
  ].filter((part): part is string => part !== null)
  return parts.length === 0 ? '' : html`<p class="muted">${parts.join(', ')}.</p>`
}

/**
 * When a course starts for someone signing up `today` (UTC date), in words: a cohort's group date
 * (the next group's once signups closed), "closed" when it takes nobody, or undefined (at once).
 */
export function startWords(course: Course, today: string): { text: string; closed: boolean } | undefined {
  const { pacing } = course
  if (pacing.mode !== 'cohort') return undefined
  const start = dayZero(pacing, today, today)
  if (!start)
    return { text: `Signups for this course closed on ${formatDateLabel(pacing.closes!)}.`, closed: true }
  const next = pacing.closes && today > pacing.closes
  if (start > today)
    return {
      text: `${next ? `Signups for the current group closed on ${formatDateLabel(pacing.closes!)}. ` : ''}The ${next ? 'next ' : ''}group starts on ${formatDateLabel(start)}: everyone in it gets each lesson on the same day.`,
      closed: false,
    }
  return {
    text: `The group started on ${formatDateLabel(start)}. Join now: the first lesson arrives straight away, then one a day until you have caught up.`,
    closed: false,
  }
}

/** A course's signup page: what it is, who wrote it, its lessons, and the form. */
export function coursePage(
  siteName: string,
  course: Course,
  /** The course's own page text (course.md's body), already HTML. */
  extra: SafeHtml,
  state: SignupFormState = {},
  today = new Date().toISOString().slice(0, 10),
): string {
  const start = startWords(course, today)
  return page({
    title: state.errors ? 'Please check the form' : course.title,
    siteName,
    script: 'signup',
    body: html`<h1>${course.title}</h1>
<p>${course.description}</p>
${byline(course)}
${start ? html`<p class="notice">${start.text}</p>` : ''}
${start?.closed ? '' : signupForm(course, state)}
<p class="muted">Privacy: your address is used only to send this course and the occasional newsletter. It is never
sold or shared. Every email has a one-click unsubscribe link.</p>
${extra}
<h2>What you will get</h2>
<ol class="lessons">
${course.lessons.map((lesson) => html`<li>${lesson.title} <span class="muted">(${lesson.day === 0 ? 'straight away' : `day ${lesson.day}`})</span></li>`)}
</ol>
<p class="muted">The course is education, not medical advice. Talk to a qualified practitioner or doctor about your own situation.</p>`,
  })
}

/** The home page of an installation with several courses: each with its description and a link to start it. */
export function courseListPage(siteName: string, courses: readonly Course[]): string {
  return page({
    title: 'Free email courses',
    siteName,
    body: html`<h1>${siteName}</h1>
<p>Free email courses, one short lesson every few days, in plain English and with no sales pitch.</p>
${courses.map(
  (course) => html`<section class="card">
<h2><a href="${urls.course('', course.slug)}">${course.title}</a></h2>
<p>${course.description}</p>
<p class="muted">${course.lessons.length} lessons.</p>
<p><a href="${urls.course('', course.slug)}">Start “${course.title}”</a></p>
</section>`,
)}`,
  })
}

/** After a form signup: the same page whatever the address was (no enumeration). */
export function checkInboxPage(siteName: string): string {
  return page({
    title: 'Check your inbox',
    siteName,
    body: html`<h1>Check your inbox</h1>
<p class="notice">If the address you entered can receive the course, an email is on its way. Open it
and press its button to start. The first lesson arrives straight after.</p>
<p>Nothing there after a few minutes? Look in your spam or promotions folder, or <a href="/">try again</a>.</p>`,
  })
}
