import { createHash } from 'node:crypto'

/** The site's only stylesheet: readable at 375 px, visible focus, AA contrast, honours dark mode. */
export const SITE_CSS = `
:root { color-scheme: light dark; --bg: #f7f7f5; --fg: #1f2933; --muted: #4b5563; --card: #ffffff;
  --accent: #0b5cad; --accent-fg: #ffffff; --error: #b42318; --border: #c5ccd3; --ok: #1e6b3a; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #15181c; --fg: #e8eaed; --muted: #b8bec6; --card: #1f2328; --accent: #8ab4f8;
    --accent-fg: #0b1a2e; --error: #ff8a80; --border: #4b535c; --ok: #7ddc9b; }
}
* { box-sizing: border-box; }
html { font-size: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.6;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 40rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.75rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.5rem; }
p, li { font-size: 1rem; }
a { color: var(--accent); text-underline-offset: 0.15em; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible {
  outline: 3px solid var(--accent); outline-offset: 2px; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 8px; padding: 1.25rem; margin: 1rem 0; }
.card > :is(h2, h3):first-of-type { margin-top: 0; }
.muted, .hint { color: var(--muted); font-size: 0.95rem; }
label { display: block; font-weight: 600; margin: 1rem 0 0.25rem; }
input[type=email], input[type=text], input[type=url], input[type=password], select { width: 100%; font: inherit; padding: 0.6rem 0.7rem; color: var(--fg);
  background: var(--card); border: 2px solid var(--border); border-radius: 6px; }
input[aria-invalid=true] { border-color: var(--error); }
.check { display: flex; gap: 0.5rem; align-items: flex-start; font-weight: 400; }
.check input { margin-top: 0.35rem; width: 1.1rem; height: 1.1rem; }
.error { color: var(--error); font-weight: 600; margin: 0.25rem 0 0; }
.notice { border-left: 4px solid var(--ok); padding: 0.5rem 0.75rem; background: var(--card); }
button { font: inherit; font-weight: 700; cursor: pointer; border: 2px solid var(--accent); border-radius: 6px;
  padding: 0.6rem 1.1rem; margin: 1rem 0.5rem 0 0; background: var(--accent); color: var(--accent-fg); }
button.secondary { background: transparent; color: var(--accent); }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
.hp { position: absolute; left: -10000px; top: auto; width: 1px; height: 1px; overflow: hidden; }
ol.lessons { padding-left: 1.25rem; }
figure { margin: 1rem 0; }
footer { max-width: 40rem; margin: 0 auto; padding: 0 1rem 2rem; color: var(--muted); font-size: 0.9rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--border); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.wide { max-width: 64rem; }
ul.inbox { list-style: none; padding: 0; }
ul.inbox li { padding: 0.6rem 0; border-bottom: 1px solid var(--border); }
ul.inbox .meta { display: block; color: var(--muted); font-size: 0.9rem; overflow-wrap: anywhere; }
.tag { display: inline-block; font-size: 0.8rem; font-weight: 700; padding: 0 0.4rem; margin-right: 0.4rem;
  border: 1px solid var(--border); border-radius: 4px; }
.frames { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.frames figure { margin: 0; flex: none; max-width: 100%; }
iframe.w600, figure.w600 { width: 600px; max-width: 100%; }
iframe.w375, figure.w375 { width: 375px; max-width: 100%; }
.darkened iframe { filter: invert(1) hue-rotate(180deg); }
.scroll { overflow-x: auto; }
iframe.mail { width: 100%; min-height: 70vh; border: 1px solid var(--border); border-radius: 6px; background: #fff; }
nav.tabs a { margin-right: 1rem; }
pre.text { white-space: pre-wrap; word-break: break-word; background: var(--card); padding: 1rem;
  border: 1px solid var(--border); border-radius: 6px; }
.eyebrow { color: var(--muted); font-size: 0.9rem; margin: 0; }
article { overflow-wrap: break-word; }
article img { max-width: 100%; height: auto; }
article blockquote { margin: 1rem 0; padding: 0.25rem 1rem; border-left: 4px solid var(--border); color: var(--muted); }
.lesson-nav { display: grid; grid-template-columns: 1fr auto 1fr; gap: 1rem; margin: 2rem 0;
  padding: 1rem 0; border-top: 1px solid var(--border); border-bottom: 1px solid var(--border); }
.lesson-nav [rel=next] { text-align: right; }
@media (max-width: 30rem) { .lesson-nav { grid-template-columns: 1fr; } .lesson-nav [rel=next] { text-align: left; } }
`.trim()

/** Fills the hidden time-zone field from the browser; the form works without it (UTC). */
export const SIGNUP_JS = `
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var fields = document.querySelectorAll('input[name="timezone"]');
    for (var i = 0; i < fields.length; i++) if (!fields[i].value && zone) fields[i].value = zone;
  } catch (e) {}
})();
`.trim()

/** Sizes each `iframe.mail` to its email's full height (the dev inbox and the admin's previews). */
export const FIT_MAIL_FRAMES = `
  var frames = document.querySelectorAll('iframe.mail');
  for (var i = 0; i < frames.length; i++) {
    (function (frame) {
      function fit() {
        try {
          var root = frame.contentDocument && frame.contentDocument.documentElement;
          if (root && root.scrollHeight > 0) frame.style.height = root.scrollHeight + 2 + 'px';
        } catch (e) {}
      }
      frame.addEventListener('load', fit);
      fit();
    })(frames[i]);
  }`

/**
 * The development pages (local inbox, email previews): reload the inbox when mail arrives (it asks
 * /dev/inbox/state every two seconds), and make each email frame as tall as its email. No inline
 * script anywhere: the CSP stays strict.
 */
export const DEV_JS = `
(function () {
  var inbox = document.querySelector('[data-inbox-state]');
  if (inbox) {
    var known = inbox.getAttribute('data-inbox-state');
    setInterval(function () {
      fetch('/dev/inbox/state', { cache: 'no-store' })
        .then(function (response) { return response.text(); })
        .then(function (now) { if (now !== known) location.reload(); })
        .catch(function () {});
    }, 2000);
  }
${FIT_MAIL_FRAMES}
})();
`.trim()

/** A short content hash for an asset's versioned path. */
export const version = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 10)

/** Versioned paths, so browsers may cache the files for long. */
export const ASSET_PATHS = {
  css: `/assets/site.${version(SITE_CSS)}.css`,
  js: `/assets/signup.${version(SIGNUP_JS)}.js`,
  devJs: `/assets/dev.${version(DEV_JS)}.js`,
}
