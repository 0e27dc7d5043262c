import type { Hono } from 'hono'
import type { Subscriber } from '../../db/rows'
import { canonicalZone, zoneGroups } from '../../lib/timezones'
import { resubscribe, unsubscribe, updatePreferences } from '../../subscribers/preferences'
import type { WebDeps } from '../deps'
import { html } from '../html'
import { messagePage, page } from '../layout'
import { subscriberFromToken } from './unsubscribe'

const BAD_LINK =
  'This link is not valid. Please use the complete "Email preferences" link from one of our emails.'
const ZONE_GROUPS = zoneGroups()

/**
 * The zone picker: grouped by region, under each zone's current name, with the reader's zone selected
 * whatever name it was stored under. A stored zone the list lacks (a fixed offset such as Etc/GMT+5)
 * is offered first, so saving other settings never changes it.
 */
function zonePicker(stored: string) {
  const current = canonicalZone(stored) ?? 'UTC'
  const listed = ZONE_GROUPS.some((group) => group.zones.some((zone) => zone.value === current))
  const option = (value: string, label: string) =>
    html`<option value="${value}"${value === current ? html` selected` : ''}>${label}</option>`
  return html`<select id="timezone" name="timezone">${listed ? '' : option(current, current)}${ZONE_GROUPS.map(
    (group) =>
      group.region === 'UTC'
        ? group.zones.map((zone) => option(zone.value, 'UTC (no daylight saving)'))
        : html`<optgroup label="${group.region}">${group.zones.map((zone) => option(zone.value, zone.label))}</optgroup>`,
  )}</select>`
}

interface PreferencesForm {
  notice?: string
  /** What the reader typed, shown again with the problem when it could not be saved. */
  name?: string
  nameError?: string
}

function preferencesPage(site: string, token: string, s: Subscriber, form: PreferencesForm = {}): string {
  const { notice, nameError } = form
  const left = s.status !== 'confirmed' && s.status !== 'pending'
  return page({
    title: 'Email preferences',
    siteName: site,
    body: html`<h1>Email preferences</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${nameError ? html`<p class="error" role="alert">Nothing was saved: ${nameError}</p>` : ''}
<p>For <strong>${s.email}</strong>.</p>
${
  left
    ? html`<form method="post" action="/preferences" class="card"><input type="hidden" name="token" value="${token}">
<p>You are unsubscribed and get no emails from us.</p>
${s.status === 'unsubscribed' ? html`<button type="submit" name="action" value="resubscribe">Resubscribe and continue the course</button>` : html`<p>To subscribe again, <a href="/">sign up</a> and confirm your address.</p>`}
</form>`
    : html`<form method="post" action="/preferences" class="card"><input type="hidden" name="token" value="${token}">
<label for="name">First name</label>
<input id="name" name="name" type="text" maxlength="100" autocomplete="given-name" value="${form.name ?? s.name ?? ''}"${nameError ? html` aria-invalid="true" aria-describedby="name-error"` : ''}>
${nameError ? html`<p class="error" id="name-error">${nameError}</p>` : ''}
<label for="timezone">Time zone <span class="muted">(lessons arrive in the morning, your time)</span></label>
${zonePicker(s.timezone)}
<label class="check"><input type="checkbox" name="newsletter" value="1"${s.newsletter_opt_in ? html` checked` : ''}> Send me the occasional newsletter</label>
<label class="check"><input type="checkbox" name="paused" value="1"${s.course_paused ? html` checked` : ''}> Pause the course (resume any time, where you left off)</label>
<button type="submit" name="action" value="save">Save</button>
<button class="secondary" type="submit" name="action" value="unsubscribe">Unsubscribe from everything</button>
</form>`
}`,
  })
}

/** GET /preferences shows the person's settings; POST saves them, unsubscribes or resubscribes. */
export function preferencesRoutes(app: Hono, deps: WebDeps): void {
  const site = deps.config.mail.courseName

  app.get('/preferences', async (c) => {
    const token = c.req.query('token')
    if (token === undefined) {
      return c.html(
        messagePage(
          site,
          'Email preferences',
          'Use the "Email preferences" link at the bottom of any email from us to change your settings.',
        ),
      )
    }
    const s = await subscriberFromToken(deps, 'preferences', token)
    if (!s) return c.html(messagePage(site, 'Link not valid', BAD_LINK), 400)
    return c.html(preferencesPage(site, token, s))
  })

  app.post('/preferences', async (c) => {
    const body = await c.req.parseBody()
    const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined)
    const token = field('token')
    const s = await subscriberFromToken(deps, 'preferences', token)
    if (!s || !token) return c.html(messagePage(site, 'Link not valid', BAD_LINK), 400)
    const action = field('action') ?? 'save'
    if (action === 'unsubscribe') {
      const after = await unsubscribe(deps.subscribers, s.id, 'preferences')
      return c.html(
        preferencesPage(site, token, after ?? s, {
          notice: 'You are unsubscribed. No more emails will be sent.',
        }),
      )
    }
    if (action === 'resubscribe') {
      const after = await resubscribe(deps.subscribers, s.id)
      return c.html(
        preferencesPage(site, token, after ?? s, {
          notice: 'Welcome back: the course continues where you left off.',
        }),
      )
    }
    const result = await updatePreferences(deps.subscribers, s.id, {
      name: field('name') ?? '',
      timezone: field('timezone'),
      newsletter: field('newsletter') === '1',
      paused: field('paused') === '1',
    })
    if (result && !result.ok)
      return c.html(
        preferencesPage(site, token, result.subscriber, {
          name: (field('name') ?? '').slice(0, 1000),
          nameError: result.errors.name,
        }),
        400,
      )
    return c.html(preferencesPage(site, token, result?.subscriber ?? s, { notice: 'Saved.' }))
  })
}
