// Jest runs in native ESM mode (NestJS 12 ships ESM only): see docs/adr/0005.
const libs = ['common', 'database', 'queue', 'whatsapp', 'domain'];
const REQUIRED_ESM = ['content-disposition', 'cookie'];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    ...Object.fromEntries(libs.map((l) => [`^#${l}$`, `<rootDir>/libs/${l}/src/index.ts`])),
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The ESM build of libphonenumber-js imports JSON without an import attribute, which jest warns about.
    '^libphonenumber-js/max$': '<rootDir>/node_modules/libphonenumber-js/max/index.cjs',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
    // ESM-only dependencies that CommonJS packages require(): Node 20 loads them natively
    // (require(esm)), jest only from Node 24.9, so jest gets them compiled to CommonJS.
    [`/node_modules/(${REQUIRED_ESM.join('|')})/.+\\.js$`]: [
      'ts-jest',
      {
        useESM: false,
        tsconfig: { allowJs: true, module: 'commonjs', moduleResolution: 'node10', isolatedModules: true, ignoreDeprecations: '6.0' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${REQUIRED_ESM.join('|')})/)`],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  setupFiles: ['<rootDir>/test/support/env.cjs'],
  maxWorkers: 2,
  testTimeout: 30000,
};
