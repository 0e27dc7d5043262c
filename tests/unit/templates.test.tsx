import { readdirSync } from 'node:fs'
import path from 'node:path'
import { render } from '@react-email/render'
import type { ComponentType } from 'react'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/harness'

const templates = readdirSync(path.join(REPO_ROOT, 'emails')).filter((name) => name.endsWith('.tsx'))

describe('email templates (what `npm run email:dev` previews)', () => {
  it('ships the lesson, newsletter, confirmation and invitation templates', () => {
    expect(templates.sort()).toEqual(['confirm.tsx', 'invitation.tsx', 'lesson.tsx', 'newsletter.tsx'])
  })

  it.each(templates)('%s has a default export with PreviewProps that renders', async (name) => {
    const module = (await import(path.join(REPO_ROOT, 'emails', name))) as {
      default: ComponentType<object> & { PreviewProps?: object }
    }
    const Template = module.default
    expect(Template.PreviewProps).toBeTypeOf('object')
    const html = await render(<Template {...Template.PreviewProps} />)
    expect(html).toContain('<html')
    expect(html).toMatch(/lang="en"/)
  })
})
