import { describe, expect, it } from 'vitest'
import { createToken, verifyToken } from '../../src/lib/links'

const SECRET = 'token-test-secret-token-test-secret-0123'
const NOW = new Date('2027-01-04T09:00:00Z')

/** The base64url alphabet: the last of 43 characters carries 4 signature bits and 2 spare ones. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

describe('link tokens', () => {
  it('name their subscriber for their purpose only, and expire when told to', () => {
    const token = createToken(SECRET, 'unsubscribe', 1234)
    expect(verifyToken(SECRET, 'unsubscribe', token, NOW)).toEqual({ ok: true, subscriberId: 1234 })
    expect(verifyToken(SECRET, 'preferences', token, NOW)).toEqual({ ok: false, reason: 'forged' })
    expect(verifyToken('another-secret-another-secret-0123456', 'unsubscribe', token, NOW).ok).toBe(false)
    const confirm = createToken(SECRET, 'confirm', 7, new Date(NOW.getTime() - 1000))
    expect(verifyToken(SECRET, 'confirm', confirm, NOW)).toEqual({
      ok: false,
      reason: 'expired',
      subscriberId: 7,
    })
  })

  it('accept only their one canonical spelling', () => {
    const token = createToken(SECRET, 'preferences', 1234)
    const [id, expires, signature] = token.split('.') as [string, string, string]
    // Other last characters that decode to the same 32 bytes (only their spare bits differ).
    const last = ALPHABET.indexOf(signature.at(-1)!)
    const twins = [0, 1, 2, 3]
      .map((spare) => ALPHABET[(last & ~3) | spare]!)
      .filter((char) => char !== signature.at(-1))
    expect(twins).toHaveLength(3)
    for (const char of twins) {
      const variant = `${id}.${expires}.${signature.slice(0, -1)}${char}`
      expect(Buffer.from(variant.split('.')[2]!, 'base64url')).toEqual(Buffer.from(signature, 'base64url'))
      expect(verifyToken(SECRET, 'preferences', variant, NOW), variant).toEqual({
        ok: false,
        reason: 'malformed',
      })
    }
    // Padding, upper-case ids and leading zeros are other spellings too.
    for (const variant of [
      `${token}=`,
      `${id.toUpperCase()}.${expires}.${signature}`,
      `0${id}.${expires}.${signature}`,
    ])
      expect(verifyToken(SECRET, 'preferences', variant, NOW).ok, variant).toBe(false)
    expect(verifyToken(SECRET, 'preferences', token, NOW).ok).toBe(true)
  })
})
