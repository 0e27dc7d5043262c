import type { Lesson } from '../../content/types'
import { CONSENT_TEXT } from '../../subscribers/consent'
import type { SignupErrors } from '../../subscribers/signup'
import { html } from '../html'
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

/** The form, as first shown or re-shown with the typed values and each problem next to its field. */
export function signupForm(state: SignupFormState = {}) {
  const email = fieldError('email', state.errors?.email)
  const name = fieldError('name', state.errors?.name)
  return html`<form method="post" action="/subscribe" class="card" novalidate>
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

/** GET /: what the course is, its lessons, and the form. */
export function signupPage(
  siteName: string,
  lessons: readonly Lesson[],
  state: SignupFormState = {},
): string {
  return page({
    title: state.errors ? 'Please check the form' : 'A free email course',
    siteName,
    script: true,
    body: html`<h1>${siteName}: a free email course</h1>
<p>Thinking about scalp micropigmentation (SMP)? This short course helps you decide calmly and choose well:
what SMP can and cannot do, how to research it, how to pick a practitioner, what to expect, and how to look
after the result. One short email every few days, written in plain English, with no sales pitch.</p>
${signupForm(state)}
<p class="muted">Privacy: your address is used only to send this course and the occasional newsletter. It is never
sold or shared. Every email has a one-click unsubscribe link.</p>
<h2>What you will get</h2>
<ol class="lessons">
${lessons.map((lesson) => html`<li>${lesson.title} <span class="muted">(${lesson.day === 0 ? 'straight away' : `day ${lesson.day}`})</span></li>`)}
</ol>
<p class="muted">The course is education, not medical advice. Talk to a qualified practitioner or doctor about your own situation.</p>`,
  })
}

/** After a form signup: the same page whatever the address was (no enumeration). */
export function checkInboxPage(siteName: string): string {
  return page({
    title: 'Check your inbox',
    siteName,
    body: html`<h1>Check your inbox</h1>
<p class="notice">If the address you entered can receive the course, a confirmation email is on its way. Open it
and press the button to start. The first lesson arrives straight after.</p>
<p>Nothing there after a few minutes? Look in your spam or promotions folder, or <a href="/">try again</a>.</p>`,
  })
}
