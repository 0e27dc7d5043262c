import { createHmac, randomBytes } from 'node:crypto'

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the secret is `whsec_` and base64
 * bytes; the signature is `v1,` and the base64 HMAC-SHA256 of `<id>.<timestamp>.<body>`, so
 * receivers verify with any standardwebhooks library.
 */

export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

export function signatureHeaders(secret: string, id: string, at: Date, body: string): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000).toString()
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  }
}
