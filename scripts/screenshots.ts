/**
 * `npm run screenshots`: every email the project sends (and the test fixtures), as one reader gets it,
 * photographed in Chromium at 600 px (desktop reading pane) and 375 px (phone), in light and dark
 * colour schemes, into artifacts/screenshots/ with an index.html to browse them.
 *
 * Dark means what readers see in dark mode: `prefers-color-scheme: dark` plus Chromium's algorithmic
 * darkening, the same engine Gmail and other apps on Android use to darken emails without dark styles.
 *
 * Uses the machine's Chromium (CHROMIUM_PATH, default /usr/bin/chromium); never downloads one.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { CHROMIUM_ARGS, keepOffline } from '../tests/helpers/chromium'
import { DESKTOP, PHONE } from '../tests/helpers/email-layout'
import { ARTIFACTS, loadQualityEmails } from '../tests/helpers/quality-emails'

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const outDir = path.join(ARTIFACTS, 'screenshots')

const SIZES = [
  { label: '600', device: DESKTOP },
  { label: '375', device: PHONE },
] as const
const SCHEMES = ['light', 'dark'] as const

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  )
}

async function main(): Promise<number> {
  if (!existsSync(executablePath)) {
    process.stderr.write(
      `Chromium not found at ${executablePath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH.\n`,
    )
    return 1
  }
  const emails = await loadQualityEmails()
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })

  const browsers: Record<(typeof SCHEMES)[number], Browser> = {
    light: await chromium.launch({ executablePath, args: CHROMIUM_ARGS }),
    dark: await chromium.launch({
      executablePath,
      args: [...CHROMIUM_ARGS, '--enable-features=WebContentsForceDark'],
    }),
  }
  const rows: string[] = []
  try {
    for (const scheme of SCHEMES) {
      for (const size of SIZES) {
        const context = await browsers[scheme].newContext({ ...size.device, colorScheme: scheme })
        // Outside images fail at once instead of waiting for DNS: there may be no network.
        await keepOffline(context)
        const page = await context.newPage()
        for (const { name, email } of emails) {
          const file = `${name.replaceAll('/', '__')}.${size.label}.${scheme}.png`
          await page.setContent(email.html, { waitUntil: 'load' })
          await page.screenshot({ path: path.join(outDir, file), fullPage: true })
          rows.push(
            `<figure><img src="${escapeHtml(file)}" alt="${escapeHtml(`${email.subject} at ${size.label} px, ${scheme}`)}" loading="lazy"><figcaption>${escapeHtml(name)} · ${size.label} px · ${scheme}</figcaption></figure>`,
          )
          process.stdout.write(`${path.relative(process.cwd(), path.join(outDir, file))}\n`)
        }
        await context.close()
      }
    }
  } finally {
    await Promise.all(Object.values(browsers).map((browser) => browser.close()))
  }
  writeFileSync(
    path.join(outDir, 'index.html'),
    `<!doctype html><html lang="en"><meta charset="utf-8"><title>Email screenshots</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem}main{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
figure{margin:0;max-width:620px}img{max-width:100%;border:1px solid #ccc}figcaption{font-size:14px}</style>
<h1>Email screenshots</h1><main>${rows.join('\n')}</main></html>\n`,
  )
  process.stdout.write(
    `${rows.length} screenshots of ${emails.length} emails in ${path.relative(process.cwd(), outDir)} (open index.html)\n`,
  )
  return 0
}

process.exitCode = await main()
