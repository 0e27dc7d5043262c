import type { Hono } from 'hono'
import { courseSummaries, readEnrolments } from '../../course/progress'
import type { Db } from '../../db/db'
import type { Subscriber, SubscriberStatus } from '../../db/rows'
import { SUBSCRIBER_STATES } from '../../subscribers/counts'
import { searchSubscribers } from '../../subscribers/store'
import { html } from '../html'
import { type Admin, adminPage, dataTable, formatTime, idParam } from './layout'

/** Readers on one page of the list. */
export const READERS_PAGE = 50
/**
 * With a course filter, readers are read in chunks and kept when enrolled; a page stops after this
 * many readers read, full or not, and its "Next page" goes on from there: a page never costs more
 * than this, however rare the course.
 */
export const COURSE_SCAN_LIMIT = 10_000
const CHUNK = 500

/** What the list is asked for: text in the address or name, a state, a course, and where to go on from. */
export interface ReaderQuery {
  text?: string
  status?: SubscriberStatus
  course?: string
  before?: number
}

export interface ReaderPage {
  readers: (Subscriber & { courses: string })[]
  /** The cursor of the next page (ids below it), or null at the end of the list. */
  next: number | null
  /** Readers read for this page when a course filter stopped at {@link COURSE_SCAN_LIMIT}. */
  scanned: number
}

/**
 * One page of readers, newest first, by keyset (ids below `before`): a page costs the same on the
 * first page as deep in a million. The address, name and state are matched in the subscriber store;
 * the course through the readers' enrolments, a chunk at a time.
 */
export async function findReaders(db: Db, query: ReaderQuery, limit = READERS_PAGE): Promise<ReaderPage> {
  const base = { text: query.text, status: query.status }
  let readers: Subscriber[] = []
  let next: number | null = null
  let scanned = 0
  if (!query.course) {
    const found = await searchSubscribers(db, { ...base, before: query.before, limit: limit + 1 })
    readers = found.slice(0, limit)
    next = found.length > limit ? (readers.at(-1)?.id ?? null) : null
  } else {
    let before = query.before
    for (;;) {
      const chunk = await searchSubscribers(db, { ...base, before, limit: CHUNK })
      if (chunk.length === 0) break
      const enrolled = new Set(
        (
          await readEnrolments(
            db,
            chunk.map((s) => s.id),
            { course: query.course },
          )
        ).map((e) => e.subscriber_id),
      )
      for (const s of chunk) {
        scanned++
        before = s.id
        if (!enrolled.has(s.id)) continue
        readers.push(s)
        if (readers.length === limit) break
      }
      if (readers.length === limit || scanned >= COURSE_SCAN_LIMIT) {
        next = before ?? null
        break
      }
      if (chunk.length < CHUNK) break
    }
  }
  const courses = await courseSummaries(
    db,
    readers.map((s) => s.id),
  )
  return {
    readers: readers.map((s) => ({ ...s, courses: courses.get(s.id) ?? '' })),
    next,
    scanned: scanned >= COURSE_SCAN_LIMIT ? scanned : 0,
  }
}

const isState = (value: string | undefined): value is SubscriberStatus =>
  (SUBSCRIBER_STATES as readonly string[]).includes(value ?? '')

/** GET /admin/readers: search by address or name, filter by state and course, page by cursor. */
export function readerListRoutes(app: Hono, admin: Admin): void {
  app.get('/admin/readers', async (c) => {
    const courses = admin.deps.content().courses
    const text = (c.req.query('q') ?? '').trim().slice(0, 200)
    const state = c.req.query('state')
    const course = courses.some((k) => k.slug === c.req.query('course')) ? c.req.query('course') : undefined
    const query: ReaderQuery = {
      text: text || undefined,
      status: isState(state) ? state : undefined,
      course,
      before: idParam(c.req.query('before')),
    }
    const found = await findReaders(admin.deps.db, query)
    const keep = new URLSearchParams()
    if (query.text) keep.set('q', query.text)
    if (query.status) keep.set('state', query.status)
    if (query.course) keep.set('course', query.course)
    const link = (before?: number) => {
      const params = new URLSearchParams(keep)
      if (before !== undefined) params.set('before', String(before))
      const qs = params.toString()
      return `/admin/readers${qs ? `?${qs}` : ''}`
    }
    const option = (value: string, label: string, selected: boolean) =>
      html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`
    const rows = found.readers.map((s) => [
      html`<a href="/admin/readers/${s.id}">${s.email}</a>`,
      s.name ?? '',
      html`<span class="badge">${s.status}</span>`,
      s.courses.replaceAll(';', ', '),
      formatTime(s.created_at),
    ])
    const filtered = query.text || query.status || query.course
    return c.html(
      adminPage({
        site: admin.site,
        title: 'Readers',
        section: 'readers',
        body: html`<h1>Readers</h1>
<form method="get" action="/admin/readers" role="search" class="filters">
<div><label for="q">Address or name contains</label>
<input id="q" name="q" type="text" inputmode="email" autocomplete="off" value="${text}"></div>
<div><label for="state">State</label>
<select id="state" name="state">${option('', 'Any state', !query.status)}${SUBSCRIBER_STATES.map((s) => option(s, s, s === query.status))}</select></div>
<div><label for="course">Course</label>
<select id="course" name="course">${option('', 'Any course', !query.course)}${courses.map((k) => option(k.slug, k.title, k.slug === query.course))}</select></div>
<div><button type="submit">Search</button></div>
</form>
<h2 class="visually-hidden">Results</h2>
${dataTable(
  [{ label: 'Address' }, { label: 'Name' }, { label: 'State' }, { label: 'Courses' }, { label: 'Joined' }],
  rows,
  { caption: 'Readers, newest first', empty: filtered ? 'No reader matches.' : 'No readers yet.' },
)}
${found.scanned > 0 ? html`<p class="muted">Read ${found.scanned.toLocaleString('en-US')} readers for this page; the next page goes on from there.</p>` : ''}
<nav class="pager" aria-label="Pages">${query.before ? html`<a href="${link()}">First page</a>` : ''}${
          found.next !== null ? html`<a href="${link(found.next)}" rel="next">Next page</a>` : ''
        }</nav>`,
      }),
    )
  })
}
