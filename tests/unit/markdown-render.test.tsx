import { render } from '@react-email/render'
import { describe, expect, it } from 'vitest'
import { MarkdownBody } from '../../emails/_components/markdown-body'
import { markdownTree } from '../../emails/_lib/markdown'

const html = (markdown: string) => render(<MarkdownBody tree={markdownTree(markdown)} />)

describe('Markdown as email components', () => {
  it('maps every supported construct to email-safe markup with inline styles', async () => {
    const out = await html(
      [
        '## A heading',
        '### A smaller heading',
        'Text with *emphasis*, **strong** and a [link](https://example.org/page?a=1&b=2).',
        '- one\n- two',
        '1. first\n2. second',
        '> a quote',
        '---',
        '![A diagram of the scalp](https://example.org/scalp.png)',
      ].join('\n\n'),
    )
    expect(out).toMatch(/<h2 style="[^"]+">A heading<\/h2>/)
    expect(out).toMatch(/<h3 style="[^"]+">A smaller heading<\/h3>/)
    expect(out).toContain('<em>emphasis</em>')
    expect(out).toContain('<strong>strong</strong>')
    expect(out).toMatch(/<a href="https:\/\/example.org\/page\?a=1&amp;b=2" style="[^"]+"[^>]*>link<\/a>/)
    expect(out).toMatch(/<ul style="[^"]+"><li style="[^"]+"><span>one<\/span><\/li>/)
    expect(out).toMatch(/<ol start="1" style="[^"]+"><li style="[^"]+"><span>first<\/span><\/li>/)
    expect(out).toMatch(/<blockquote style="[^"]+"><p style="[^"]+">a quote<\/p><\/blockquote>/)
    expect(out).toMatch(/<hr style="[^"]+"\/>/)
    expect(out).toMatch(/<img alt="A diagram of the scalp" src="https:\/\/example.org\/scalp.png"/)
    expect(out).not.toMatch(/<style|class=/)
  })

  it('escapes text instead of passing markup through', async () => {
    const out = await html('Fish & chips: 1 < 2, "quoted"')
    expect(out).toContain('Fish &amp; chips: 1 &lt; 2, &quot;quoted&quot;')
  })

  it.each([
    ['a block of raw HTML', '<div>hi</div>'],
    ['inline raw HTML', 'a <img src=x onerror=alert(1)> b'],
    ['an image without alt text', '![](https://example.org/a.png)'],
    ['a javascript: link', '[x](javascript:alert(1))'],
  ])('refuses %s rather than render it', async (_name, markdown) => {
    await expect(html(markdown)).rejects.toThrow(/Markdown refused/)
  })
})
