import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'

export interface Received {
  id: string
  type: string
  // biome-ignore lint/suspicious/noExplicitAny: payloads are checked field by field in the tests
  payload: any
  /** Whether the signature verified with the endpoint's secret (standardwebhooks' own check). */
  verified: boolean
  at: number
}

/**
 * A webhook receiver on loopback, as a customer would run one: it verifies each request with the
 * `standardwebhooks` package and answers what `answer` says (200 by default; a failing status to
 * play a receiver that is down).
 */
export async function startReceiver(secret: () => string) {
  const received: Received[] = []
  const attempts: { id: string; status: number }[] = []
  let answer: (id: string) => number = () => 200
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      const headers = {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      }
      let verified = false
      try {
        new Webhook(secret()).verify(body, headers)
        verified = true
      } catch {}
      const status = answer(headers['webhook-id'])
      attempts.push({ id: headers['webhook-id'], status })
      if (status >= 200 && status < 300) {
        const payload = JSON.parse(body)
        received.push({ id: headers['webhook-id'], type: payload.type, payload, verified, at: Date.now() })
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'down')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    attempts,
    answerWith(fn: (id: string) => number) {
      answer = fn
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
