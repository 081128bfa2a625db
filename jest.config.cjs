/**
 * Jest runs the TypeScript sources as CommonJS through swc (ts-jest cannot cope with
 * this ESM + decorators setup). NestJS 12 ships ES modules only, so those packages
 * are compiled by swc too instead of being ignored.
 */
const esmOnlyPackages = ['@nestjs', 'cookie', 'content-disposition'];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '\\.(spec|e2e-spec)\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages.join('|')})/)`],
  moduleNameMapper: {
    // The compact store's worker runs the built file in dist/: see compact-worker-path.ts.
    '^\\.{1,2}/(.*/)?compact-worker-path\\.js$': '<rootDir>/src/store/compact/compact-worker-path.jest.cjs',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 30000,
};
