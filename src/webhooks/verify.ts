import { Resend } from 'resend'
import { jsonDepthExceeds } from '../lib/json-depth'

/** The Standard Webhooks headers (Resend sends them with the `svix-` prefix). */
export interface SignatureHeaders {
  id: string | undefined
  timestamp: string | undefined
  signature: string | undefined
}

/** The verdict on one request: the parsed payload, a bad signature, or a signed body that is not JSON. */
export type VerifyResult =
  | { ok: true; payload: unknown }
  | { ok: false; reason: 'signature'; message: string }
  | { ok: false; reason: 'malformed'; message: string }

export interface WebhookVerifier {
  verify(rawBody: string, headers: SignatureHeaders): VerifyResult
}

/** Why a secret cannot be used, or null when it can. */
export type SecretProblem = 'missing' | 'invalid' | null

/** How deep an event body may nest; Resend's go about four levels. */
const MAX_EVENT_DEPTH = 32

// verify() never calls the API; the client only needs some key to be constructed.
const VERIFY_ONLY_KEY = 're_webhook_verification_only'

/**
 * Verifies Resend's signatures with the SDK (`resend.webhooks.verify`, Standard Webhooks underneath):
 * HMAC-SHA256 over `id.timestamp.rawBody`, compared in constant time, timestamps more than five
 * minutes from the real time refused (replays of old captures fail even before the id check).
 * The body must be the exact bytes received: any re-serialisation changes the signature.
 */
export function createWebhookVerifier(secret: string): WebhookVerifier {
  const resend = new Resend(VERIFY_ONLY_KEY)
  return {
    verify(rawBody, headers) {
      if (!headers.id || !headers.timestamp || !headers.signature)
        return { ok: false, reason: 'signature', message: 'missing signature headers' }
      try {
        const payload = resend.webhooks.verify({
          payload: rawBody,
          headers: { id: headers.id, timestamp: headers.timestamp, signature: headers.signature },
          webhookSecret: secret,
        })
        // Resend's events nest a few levels; anything deeper than this is not one of them.
        if (jsonDepthExceeds(rawBody, MAX_EVENT_DEPTH))
          return {
            ok: false,
            reason: 'malformed',
            message: `body nested too deeply (over ${MAX_EVENT_DEPTH} levels)`,
          }
        return { ok: true, payload }
      } catch (error) {
        // The library parses the body only after a signature matched: a SyntaxError means a genuine
        // request whose body is not JSON; everything else is a verification failure.
        if (error instanceof SyntaxError)
          return { ok: false, reason: 'malformed', message: 'body is not JSON' }
        return { ok: false, reason: 'signature', message: (error as Error).message }
      }
    },
  }
}

/**
 * Checks that a signing secret is usable (`whsec_` + base64, as Resend shows it) by letting the SDK
 * decode it: an unusable secret would otherwise reject every genuine event as a bad signature.
 */
export function checkWebhookSecret(secret: string | undefined): SecretProblem {
  if (!secret) return 'missing'
  try {
    new Resend(VERIFY_ONLY_KEY).webhooks.verify({
      payload: '',
      headers: { id: '', timestamp: '', signature: '' },
      webhookSecret: secret,
    })
  } catch (error) {
    // Decoding the secret comes first; with a good secret the empty headers are what fails.
    return (error as Error).name === 'WebhookVerificationError' ? null : 'invalid'
  }
  return 'invalid'
}
