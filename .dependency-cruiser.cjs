/**
 * The layers of kepubot, checked by `npm run lint` (dependency-cruiser): arrows point one way,
 * domain ← db ← services ← bot / channels / jobs ← http / cli / compose / main, and no cycles.
 * config, logger, metrics, clock and errors are support modules anyone may use; they use only the domain.
 */
const SUPPORT = '^src/(config|logger|metrics|clock|errors)[.]ts$';
const TOP = '^src/(http/|cli[.]ts|cli/|compose[.]ts|compose/|main[.]ts)';
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'An import cycle.', from: {}, to: { circular: true } },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'src/domain and src/stats (the figure catalogue) hold pure rules: they import nothing of ours but each other, and no I/O library.',
      from: { path: '^src/(domain|stats)/' },
      to: { pathNot: ['^src/(domain|stats)/', '^node_modules/(luxon|fastest-levenshtein)/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'support-uses-only-the-domain',
      severity: 'error',
      from: { path: SUPPORT },
      to: { path: '^src/', pathNot: ['^src/(domain|stats)/', SUPPORT] },
    },
    {
      name: 'db-below-services',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: ['^src/(services|bot|channels|jobs)/', TOP] },
    },
    {
      name: 'services-below-bot-channels-jobs',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: ['^src/(bot|channels|jobs)/', TOP, '^bot-scripts/'] },
    },
    {
      name: 'bot-channels-jobs-below-the-top',
      severity: 'error',
      from: { path: '^src/(bot|channels|jobs)/' },
      to: { path: [TOP, '^bot-scripts/'] },
    },
    {
      name: 'scripts-stay-out-of-io',
      severity: 'error',
      comment: 'bot-scripts never import Wechaty, Koa or TypeORM (nor the layers that wrap them).',
      from: { path: '^bot-scripts/' },
      to: { path: ['^node_modules/(wechaty|wechaty-puppet[^/]*|koa|@koa/[^/]+|typeorm)/', '^src/(db|channels|jobs|http)/', TOP] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
