// Layering rules of DESIGN.md §2, checked by `npm run check`. Type-only imports count too
// (tsPreCompilationDeps): a type pulled from the AWS SDK into core couples it just the same.

/** What infra may read of the runtime tree: plain data and schemas, never handlers or adapters. */
const INFRA_READABLE = [
  '^functions/api/routes[.]ts$',
  '^functions/shared/env[.]ts$',
  '^functions/steps/step-groups[.]ts$',
  '^functions/adapters/dynamo/table-def[.]ts$',
  '^statemachines/[^/]+[.]json$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-only-core-and-zod',
      comment:
        'functions/core is the domain: it imports itself and zod only (no AWS SDK, middy, jose, node: builtins). ' +
        'Reach the outside world through a port in functions/core/ports.ts.',
      severity: 'error',
      from: { path: '^functions/core/' },
      to: { pathNot: ['^functions/core/', '^node_modules/zod/'] },
    },
    {
      name: 'product-does-not-import-dev-code',
      comment: 'functions, cli, client, console and infra ship; local/, test/ and scripts/ do not. Product code never depends on them.',
      severity: 'error',
      from: { path: '^(functions|cli|client|console|infra)/' },
      to: { path: '^(local|test|scripts)/' },
    },
    {
      name: 'handlers-reach-adapters-through-composition',
      comment:
        'functions/api and functions/steps get their ports from functions/shared/composition.ts, ' +
        'the only module that knows which adapter serves which port.',
      severity: 'error',
      from: { path: '^functions/(api|steps)/' },
      to: { path: '^functions/adapters/' },
    },
    {
      name: 'infra-reads-only-the-route-table-env-schema-table-def-and-asl',
      comment:
        'infra may load routes.ts, env.ts, table-def.ts and statemachines/*.json, and nothing those pull in ' +
        'of the runtime tree (checked transitively), so a synth never loads handler or adapter code.',
      severity: 'error',
      from: { path: '^infra/' },
      to: { path: '^(functions|cli|local|scripts|test|statemachines|bin)/', pathNot: INFRA_READABLE, reachable: true },
    },
    {
      name: 'cli-imports-only-core-of-functions',
      comment: 'plexctl is an HTTP client: it may reuse the request/response schemas of functions/core and nothing else.',
      severity: 'error',
      from: { path: '^cli/' },
      to: { path: '^functions/', pathNot: '^functions/core/' },
    },
    {
      name: 'client-is-the-typed-api-client-only',
      comment:
        'client/ is the typed client of the public API, shared by the console and plexctl: openapi-fetch and its generated types, nothing else.',
      severity: 'error',
      from: { path: '^client/' },
      to: { pathNot: ['^client/', '^node_modules/openapi-fetch/'] },
    },
    {
      name: 'console-speaks-http-through-the-client',
      comment: 'The console runs in the browser and calls the public API only, through client/; it imports preact, client/ and itself.',
      severity: 'error',
      from: { path: '^console/' },
      to: { pathNot: ['^console/', '^client/', '^node_modules/(preact|openapi-fetch)/'] },
    },
    {
      name: 'no-circular',
      comment: 'A runtime import cycle: load order starts to matter and layers stop meaning anything.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-through-types',
      comment:
        'A cycle closed by an `import type`: erased at compile time, so harmless at run time, but still two modules ' +
        'that know each other. Move the shared type to the lower module.',
      severity: 'warn',
      from: {},
      to: { circular: true, via: { dependencyTypes: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve (a typo, a missing .ts file, an uninstalled package).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    // Resolves `./x.ts` specifiers (allowImportingTsExtensions).
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
