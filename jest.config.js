/**
 * Unit specs live beside the code (backstop's and the transport package's); end-to-end specs
 * in test/ and in each example's test/ talk to the real PostgreSQL and RabbitMQ.
 */
module.exports = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  testMatch: [
    '<rootDir>/src/**/*.spec.ts',
    '<rootDir>/packages/*/src/**/*.spec.ts',
    '<rootDir>/test/**/*.e2e-spec.ts',
    '<rootDir>/examples/*/test/**/*.e2e-spec.ts',
  ],
  // Built output of the workspaces: never tests, and its package.json files would clash by name.
  modulePathIgnorePatterns: ['<rootDir>/packages/.*/dist/', '<rootDir>/examples/.*/dist/'],
  transform: {
    '^.+\\.ts$': 'ts-jest',
  },
  setupFiles: ['reflect-metadata'],
  testEnvironment: 'node',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60_000,
  // `npm test` runs the browser tests (test/console*.e2e-spec.ts, test/docs-browser.e2e-spec.ts) after the rest, and
  // the broker cluster's (test/broker-cluster.e2e-spec.ts) last, alone: Chromium, or three RabbitMQ nodes booting, beside
  // the rest starves the tests that hold retries to G4's 250 ms, and beside Chromium the cluster once went on nacking
  // publishes for a minute after losing a node (it passes alone in seconds).
  maxWorkers: 2,
};
