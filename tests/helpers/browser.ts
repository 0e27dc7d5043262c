import type { AddressInfo } from 'node:net'
import { type HttpBindings, serve } from '@hono/node-server'
import { inject } from 'vitest'

export { keepOffline, launchChromium } from './chromium'

/**
 * Chromium's path, or null when it is missing here: then browser tests must not be registered (the
 * global setup already said so loudly, and fails the run when REQUIRE_CHROMIUM=1).
 */
export const CHROMIUM_PATH: string | null = inject('chromiumPath')

/** A running HTTP server on an ephemeral loopback port. */
export interface TestServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string
  close(): Promise<void>
}

type Handler = (request: Request, env: HttpBindings) => Response | Promise<Response>

/**
 * Serves `handler` with @hono/node-server as `npm start` does, on 127.0.0.1 and a port the system
 * picks. Pass `(request, env) => app.fetch(request, env)` to start the server before the app exists
 * (e.g. to give the app the server's address as BASE_URL); `env` carries the socket (client address).
 */
export async function serveApp(handler: Handler): Promise<TestServer> {
  const server = await new Promise<ReturnType<typeof serve>>((done) => {
    const started = serve(
      {
        fetch: (request, env) => handler(request, env as HttpBindings),
        port: 0,
        hostname: '127.0.0.1',
      },
      () => done(started),
    )
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((error) => (error ? fail(error) : done()))
        // Chromium keeps connections alive; without this close() waits for them to time out.
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}
