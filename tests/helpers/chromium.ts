import { type Browser, type BrowserContext, chromium } from 'playwright-core'

// No vitest imports here: scripts/screenshots.ts launches the same browser outside the test runner.

/**
 * Debian's Chromium as root needs --no-sandbox; the rest keep it from reaching for the internet
 * (updates, sync, QUIC probes), which is closed here and would only slow every start.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Launches the machine's Chromium (never a downloaded one). */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS })
}

/**
 * Answers every request that leaves the loopback interface with a network error, at once: emails may
 * name outside images and pages, and a test must neither depend on them nor wait for DNS to fail.
 */
export async function keepOffline(context: BrowserContext): Promise<void> {
  await context.route(
    (url) => url.protocol !== 'data:' && url.hostname !== '127.0.0.1' && url.hostname !== 'localhost',
    (route) => route.abort('internetdisconnected'),
  )
}
