import { Resend } from 'resend'
import type { BatchResult, ItemResult, Mailer, OutgoingEmail, SingleResult } from './mailer'
import { classifyResendError, readRateInfo } from './resend-errors'

/** Give up waiting for an answer after this long; the retry reuses the key, so nothing is sent twice. */
const REQUEST_TIMEOUT_MS = 30_000

function toResend(email: OutgoingEmail) {
  return {
    from: email.from,
    to: [email.to],
    subject: email.subject,
    html: email.html,
    text: email.text,
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    headers: email.headers,
    tags: email.tags,
  }
}

const networkFailure = (error: unknown) => ({
  ok: false as const,
  retryable: true,
  code: 'network_error',
  message: error instanceof Error ? error.message : String(error),
})

/**
 * The real `resend` SDK behind the Mailer port. The SDK never retries and never throws for HTTP
 * errors (it answers `{ data, error, headers }`); the sender retries with the same idempotency key.
 */
export function createResendMailer(options: {
  apiKey: string
  baseUrl?: string
  timeoutMs?: number
}): Mailer {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS
  const resend = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined)
  return {
    transport: 'resend',
    async send(email, { idempotencyKey }): Promise<SingleResult> {
      try {
        const { data, error, headers } = await resend.emails.send(toResend(email), {
          idempotencyKey,
          signal: AbortSignal.timeout(timeoutMs),
        })
        if (error) return classifyResendError(error, headers)
        return { ok: true, providerId: data.id, rateLimit: readRateInfo(headers) }
      } catch (error) {
        return networkFailure(error)
      }
    },
    async sendBatch(emails, { idempotencyKey }): Promise<BatchResult> {
      try {
        // Permissive: an invalid email is reported by index and the others are still sent, so one
        // bad address never holds back a whole batch.
        const { data, error, headers } = await resend.batch.send(emails.map(toResend), {
          idempotencyKey,
          batchValidation: 'permissive',
          signal: AbortSignal.timeout(timeoutMs),
        })
        if (error) return classifyResendError(error, headers)
        const failed = new Map((data.errors ?? []).map((item) => [item.index, item.message]))
        const ids = data.data.map((item) => item.id)
        const items: ItemResult[] = emails.map((_, index) => {
          const message = failed.get(index)
          if (message !== undefined) return { ok: false, code: 'validation_error', message }
          const providerId = ids.shift()
          return providerId
            ? { ok: true, providerId }
            : { ok: false, code: 'missing_id', message: 'no id in the answer' }
        })
        return { ok: true, items, rateLimit: readRateInfo(headers) }
      } catch (error) {
        return networkFailure(error)
      }
    },
  }
}
