/**
 * The import rules of the project (`npm run lint` checks them): no cycles, and imports that point one
 * way. Entry points (main, CLI, web, the composition root) → domain → delivery engine → base (content,
 * mail, the outbox of outgoing events, db, lib, config). Inside the domain the order is fixed too, so no
 * two domain folders lean on each other: privacy, stats, access → webhooks → newsletters → subscribers →
 * course → audit. Email templates
 * (`emails/`) import nothing from `src/`: the preview server renders them on their own.
 */

const ENTRY = '^src/(main|cli|runtime|services)\\.ts$|^src/(cli|web)/'
const DOMAIN = '^src/(privacy|stats|access|webhooks|newsletters|subscribers|course|audit)/'
const ENGINE = '^src/delivery/'
const BASE = '^src/(content|mail|events|db|lib|config)/'

/** Domain folders from top to bottom: each may import only those after it. */
const DOMAIN_ORDER = ['privacy|stats|access', 'webhooks', 'newsletters', 'subscribers', 'course', 'audit']

const upward = DOMAIN_ORDER.flatMap((level, index) => {
  const above = DOMAIN_ORDER.slice(0, index)
  if (above.length === 0) return []
  return [
    {
      name: `domain-order-${level.replace('|', '-')}`,
      comment: `src/${level} sits below ${above.join(', ')} in the domain: it must not import them.`,
      severity: 'error',
      from: { path: `^src/(${level})/` },
      to: { path: `^src/(${above.join('|')})/` },
    },
  ]
})

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one: break it by moving the shared piece down.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'base-imports-nothing-above',
      comment:
        'content, mail, events, db, lib and config are the base: they know nothing of the engine, the domain or entry points.',
      severity: 'error',
      from: { path: BASE },
      to: { path: `${ENGINE}|${DOMAIN}|${ENTRY}` },
    },
    {
      name: 'engine-imports-no-domain',
      comment:
        'The delivery engine knows kinds of email, not what they mean: the domain passes its policies in.',
      severity: 'error',
      from: { path: ENGINE },
      to: { path: `${DOMAIN}|${ENTRY}` },
    },
    {
      name: 'domain-imports-no-entry-point',
      comment: 'The domain is called by entry points, never the other way round.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: ENTRY },
    },
    ...upward,
    {
      name: 'emails-independent-of-src',
      comment:
        'Templates import only react-email and their own _components/_lib, so the preview server renders them alone.',
      severity: 'error',
      from: { path: '^emails/' },
      to: { path: '^src/' },
    },
    {
      name: 'no-tests-in-src',
      comment: 'Code under src/ never imports test helpers.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^tests/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
}
