/**
 * The module boundaries of backstop (`npm run lint:deps`, part of `npm test`). A module is a
 * top-level folder of src/. Business modules: orders, stock, notify, payment, merchants, and alerts
 * (ops alerts, on top of notify's delivery: nothing below may import it). Platform
 * machinery: coordinator, compensation, retention. Shared: audit, common, config, database,
 * logging, messaging, metrics. ops sits on top of everything.
 */
const BUSINESS = 'orders|stock|notify|payment|merchants|alerts';
const PLATFORM = 'coordinator|compensation|retention';
const SHARED = 'audit|common|config|database|logging|messaging|metrics';

module.exports = {
  forbidden: [
    {
      name: 'no-module-cycle',
      severity: 'error',
      comment:
        'Two modules (top-level folders of src/) import each other, directly or around a loop. Decide which one sits below: ' +
        'the other calls typed methods of a provider it exports, and the lower one learns of what happens above through ' +
        'an event or a callback it is given, never by importing it.',
      // Folders, not files: orders importing stock and stock importing orders is a cycle even when no file loops.
      // Subfolders count as their module (compensation/handlers is compensation); loops inside one module are its own.
      scope: 'folder',
      from: { path: '^src/([^/]+)' },
      to: { path: '^src/', pathNot: '^src/$1(/|$)', circular: true },
    },
    {
      name: 'no-foreign-repository-or-entity',
      severity: 'error',
      comment:
        "A module imports another module's *.repository.ts or *.entity.ts: each module owns its tables. Call a typed method " +
        'of a provider the owning module exports from its *.module.ts instead (ask its owner to add one if none fits). ' +
        "The shared folders' own (src/database's ping, say) are for everyone.",
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/.+[.](repository|entity)[.]ts$', pathNot: `^src/($1|${SHARED})/` },
    },
    {
      name: 'shared-imports-no-module',
      severity: 'error',
      comment:
        `A shared folder (${SHARED}) imports a business or platform module: everything depends on the shared folders, ` +
        'so they must know none of those. Move the code into the module that needs it, or have the module hand it in ' +
        '(a parameter, a provider registered at start).',
      from: { path: `^src/(${SHARED})/` },
      to: { path: `^src/(${BUSINESS}|${PLATFORM}|ops)/` },
    },
    {
      name: 'transport-imports-no-src',
      severity: 'error',
      comment:
        'packages/transport is published on its own and used by services outside this repository: it cannot import ' +
        "backstop's src/. Move what it needs into the package (and have src/ import it from @backstop/transport).",
      from: { path: '^packages/transport/' },
      to: { path: '^src/' },
    },
    {
      name: 'platform-imports-no-business',
      severity: 'error',
      comment:
        `The platform machinery (${PLATFORM}) serves every business module and knows none of them (${BUSINESS}). ` +
        'Let the business module register with it (a handler, a pruner, a callback) instead of importing it.',
      from: { path: `^src/(${PLATFORM})/` },
      to: { path: `^src/(${BUSINESS})/` },
    },
    {
      name: 'nothing-imports-ops',
      severity: 'error',
      comment:
        'ops (the admin API and console) sits on top and reads from every module; only src/app.module.ts and ' +
        'src/bootstrap.ts wire it in. What a module needs from ops (metrics, say) belongs in a shared folder such as src/metrics.',
      from: { pathNot: '^src/(ops/|app[.]module[.]ts$|bootstrap[.]ts$)' },
      to: { path: '^src/ops/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // A type-only import couples modules as much as any other.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    // src/ops/console is a separate browser bundle with its own tsconfig.
    exclude: { path: '(^|/)(node_modules|dist)/|^src/ops/console/' },
  },
};
