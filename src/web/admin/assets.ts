import { FIT_MAIL_FRAMES, version } from '../assets'

/**
 * The admin's own stylesheet and script, served by the admin routes behind the login (the site's
 * stylesheet comes first; this one only adds what the admin needs). Same origin, no inline style or
 * script anywhere: the page CSP stays `style-src 'self'; script-src 'self'`.
 */

/** Layout for the admin: a header with the sections, figures as cards, tables that stack at 375 px. */
export const ADMIN_CSS = `
.rate-chart { max-width: 540px; }
.admin-header { background: var(--card); border-bottom: 1px solid var(--border); }
.admin-header .bar { max-width: 72rem; margin: 0 auto; padding: 0.5rem 1rem; display: flex; flex-wrap: wrap;
  align-items: center; gap: 0.25rem 1rem; }
.admin-header .brand { font-weight: 700; margin-right: auto; }
.admin-header nav ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem 0.9rem; }
.admin-header nav a { display: inline-block; padding: 0.35rem 0; }
.admin-header nav a[aria-current=page] { font-weight: 700; text-decoration-thickness: 3px; }
.admin-header form { margin: 0; }
.admin-header button { margin: 0; padding: 0.3rem 0.8rem; }
.skip { position: absolute; left: -10000px; }
.skip:focus { position: static; display: inline-block; padding: 0.5rem; }
main.admin { max-width: 72rem; }
main.admin h1 { overflow-wrap: anywhere; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(10.5rem, 1fr)); gap: 0.75rem; margin: 1rem 0; }
.figures > div { background: var(--card); border: 1px solid var(--border); border-radius: 8px; padding: 0.75rem 1rem; }
.figures dt { color: var(--muted); font-size: 0.9rem; }
.figures dd { margin: 0.1rem 0 0; font-size: 1.6rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.figures dd small { display: block; font-size: 0.85rem; font-weight: 400; color: var(--muted); }
.badge { display: inline-block; font-size: 0.85rem; font-weight: 700; padding: 0 0.45rem; border-radius: 4px;
  border: 1px solid var(--border); }
.badge.good { border-color: var(--ok); color: var(--ok); }
.badge.bad { border-color: var(--error); color: var(--error); }
.inline { display: inline; }
.inline button { margin: 0.25rem 0.4rem 0.25rem 0; padding: 0.3rem 0.7rem; }
.filters { display: grid; grid-template-columns: 2fr 1fr 1fr auto; gap: 0 1rem; align-items: end; }
.filters button { margin-top: 0; }
.pager { display: flex; gap: 1.5rem; margin: 1rem 0; }
.funnel { list-style: none; padding: 0; margin: 0.5rem 0; }
.funnel li { display: grid; grid-template-columns: minmax(0, 16rem) minmax(4rem, 1fr) 7.5rem; gap: 0.75rem;
  align-items: center; padding: 0.2rem 0; }
.funnel meter { width: 100%; height: 1.1rem; }
.funnel .num { text-align: right; font-variant-numeric: tabular-nums; }
details.figures-table { margin: 0.5rem 0 1.5rem; }
details.figures-table summary { cursor: pointer; color: var(--accent); }
.narrow-only { display: none; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.danger { border-color: var(--error); }
.danger button { background: var(--error); border-color: var(--error); color: var(--bg); }
td code, dd code { overflow-wrap: anywhere; }
@media (max-width: 40rem) {
  .wide-only { display: none; }
  .narrow-only { display: block; }
  .filters { grid-template-columns: 1fr; }
  .funnel li { grid-template-columns: 1fr 6.5rem; }
  .funnel meter { grid-column: 1 / -1; grid-row: 2; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.stack tr { display: block; border-bottom: 2px solid var(--border); padding: 0.4rem 0; }
  table.stack td { display: grid; grid-template-columns: 7rem minmax(0, 1fr); gap: 0.5rem; border: 0; padding: 0.15rem 0;
    overflow-wrap: anywhere; }
  table.stack td::before { content: attr(data-label); font-weight: 600; color: var(--muted); }
  table.stack td.num { text-align: left; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: 0.4rem; }
}
`.trim()

/**
 * Enhancements that the pages do not need to work: an issue being sent refreshes its figures every
 * two seconds from its progress JSON (and says so to screen readers once it is done), and each email
 * preview frame grows to its email's height.
 */
export const ADMIN_JS = `
(function () {
  var box = document.querySelector('[data-progress-url]');
  if (box) {
    var url = box.getAttribute('data-progress-url');
    var timer = setInterval(function () {
      fetch(url, { cache: 'no-store', credentials: 'same-origin' })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (progress) {
          if (!progress) return;
          var fields = box.querySelectorAll('[data-field]');
          for (var i = 0; i < fields.length; i++) {
            var name = fields[i].getAttribute('data-field');
            if (progress[name] !== undefined && progress[name] !== null) fields[i].textContent = String(progress[name]);
          }
          if (progress.status === 'sent' || progress.status === 'cancelled') {
            clearInterval(timer);
            box.setAttribute('data-done', 'true');
          }
        })
        .catch(function () {});
    }, 2000);
  }
${FIT_MAIL_FRAMES}
})();
`.trim()

/** Versioned paths under /admin (the login cookie's path), cached for long by the browser. */
export const ADMIN_ASSETS = {
  css: `/admin/assets/admin.${version(ADMIN_CSS)}.css`,
  js: `/admin/assets/admin.${version(ADMIN_JS)}.js`,
}
