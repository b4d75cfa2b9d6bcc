/** Unit specs live beside the code; end-to-end specs in test/ talk to the real PostgreSQL and RabbitMQ. */
module.exports = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  transform: {
    '^.+\\.ts$': 'ts-jest',
    // @fastify/static (Swagger UI) requires content-disposition 3, which ships only as an
    // ES module: Node 20 loads it natively, Jest's CommonJS runtime needs it transpiled.
    '/content-disposition/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  setupFiles: ['reflect-metadata'],
  testEnvironment: 'node',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
