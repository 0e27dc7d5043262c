/**
 * Row shapes that several modules read. Each table's statements live with its owner (see the
 * README's layout); these types only describe what those statements return.
 */

export type SubscriberStatus = 'pending' | 'confirmed' | 'unsubscribed' | 'bounced' | 'complained'

/** A subscriber row as stored. Their courses are enrolments (course/progress.ts). */
export interface Subscriber {
  id: number
  email: string
  email_key: string
  name: string | null
  timezone: string
  status: SubscriberStatus
  newsletter_opt_in: boolean
  consent_at: Date | null
  consent_source: string | null
  consent_ip: string | null
  consent_text_version: string | null
  /** The consent statement an API caller supplied when it created them without a confirmation email. */
  consent_statement: string | null
  confirmed_at: Date | null
  confirmation_sent_at: Date | null
  unsubscribed_at: Date | null
  unsubscribed_after: string | null
  soft_bounces: number
  created_at: Date
  updated_at: Date
}

/** The kinds of email in the delivery queue. */
export type DeliveryKind = 'confirmation' | 'invitation' | 'lesson' | 'newsletter'

/** Where a delivery stands: waiting, in a batch, or done one way or another. */
export type DeliveryStatus = 'queued' | 'claimed' | 'sent' | 'failed' | 'skipped' | 'cancelled'
