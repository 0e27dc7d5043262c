import { formatDateLabel } from '../../content/dates'
import type { Course, Lesson, Newsletter, Source } from '../../content/types'
import { urls } from '../../lib/links'
import { html, type SafeHtml } from '../html'
import { page } from '../layout'
import { markdownHtml } from '../markdown'
import { signupForm } from './signup'

/**
 * The public pages of lessons and newsletter issues: pages of the site (its frame, navigation,
 * a signup form for visitors), not the email as sent. Nothing personal is on them: no greeting, no
 * unsubscribe or preference links.
 */

/** Whether the visitor came from the email itself ("View in browser" adds `from=email`): no signup form then. */
export interface ReadingContext {
  siteName: string
  baseUrl: string
  fromEmail: boolean
}

/** A lesson's page: the course's name, the lesson, its disclaimer, previous/next/all, and the course's form. */
export function lessonPage(context: ReadingContext, course: Course, lesson: Lesson): string {
  const index = course.lessons.findIndex((one) => one.slug === lesson.slug)
  const previous = course.lessons[index - 1]
  const next = course.lessons[index + 1]
  const link = (one: Lesson) => urls.lesson('', course.slug, one.slug)
  const nav = html`<nav class="lesson-nav" aria-label="Lessons of ${course.title}">
${previous ? html`<a rel="prev" href="${link(previous)}">← ${previous.title}</a>` : html`<span></span>`}
<a href="/archive#${course.slug}">All lessons</a>
${next ? html`<a rel="next" href="${link(next)}">${next.title} →</a>` : html`<span></span>`}
</nav>`
  return page({
    title: lesson.title,
    siteName: context.siteName,
    ...(context.fromEmail ? {} : { script: 'signup' as const }),
    meta: {
      description: lesson.preview,
      canonical: urls.lesson(context.baseUrl, course.slug, lesson.slug),
      type: 'article',
    },
    body: html`<p class="eyebrow"><a href="${urls.course('', course.slug)}">${course.title}</a> · Lesson ${index + 1} of ${course.lessons.length}</p>
<article>
<h1>${lesson.title}</h1>
${markdownHtml(lesson.markdown)}
${sourcesSection(lesson.sources)}
</article>
<p class="muted">${course.disclaimer}</p>
${nav}
${signupBox(context, course)}`,
  })
}

/** A newsletter issue's page: its date, the issue, previous/next issue, and a way to the courses. */
export function issuePage(
  context: ReadingContext,
  issue: Newsletter,
  published: readonly Newsletter[],
): string {
  // `published` is newest first.
  const index = published.findIndex((one) => one.slug === issue.slug)
  const newer = published[index - 1]
  const older = published[index + 1]
  const link = (one: Newsletter) => urls.newsletter('', one.slug)
  return page({
    title: issue.title,
    siteName: context.siteName,
    meta: {
      description: issue.preview,
      canonical: urls.newsletter(context.baseUrl, issue.slug),
      type: 'article',
    },
    body: html`<p class="eyebrow">Newsletter · ${formatDateLabel(issue.date)}</p>
<article>
<h1>${issue.title}</h1>
${markdownHtml(issue.markdown)}
${sourcesSection(issue.sources)}
</article>
<nav class="lesson-nav" aria-label="Newsletter issues">
${older ? html`<a rel="prev" href="${link(older)}">← ${older.title}</a>` : html`<span></span>`}
<a href="/archive">All issues</a>
${newer ? html`<a rel="next" href="${link(newer)}">${newer.title} →</a>` : html`<span></span>`}
</nav>
${context.fromEmail ? '' : html`<section class="card"><h2>Free email courses</h2><p>The newsletter goes to everyone who takes one of our free email courses. <a href="/">See the courses</a>.</p></section>`}`,
  })
}

/**
 * What a lesson or issue draws on (front matter `sources:`), under the heading its email links to
 * (`#sources`). The addresses were checked when the content was loaded (https, a real host).
 */
function sourcesSection(sources: readonly Source[] | undefined): SafeHtml | string {
  if (!sources?.length) return ''
  return html`<section class="sources" aria-labelledby="sources">
<h2 id="sources">Sources</h2>
<ul>
${sources.map((source) => html`<li><a href="${source.url}">${source.title}</a></li>`)}
</ul>
</section>`
}

function signupBox(context: ReadingContext, course: Course): SafeHtml | string {
  if (context.fromEmail)
    return html`<p class="muted">You are reading this lesson of ${course.title} from your email.</p>`
  return html`<section aria-labelledby="signup-heading">
<h2 id="signup-heading">Get ${course.title} by email</h2>
<p>${course.description}</p>
${signupForm(course)}
</section>`
}
