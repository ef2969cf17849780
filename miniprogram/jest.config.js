// Jest runs in jsdom (miniprogram-simulate renders into a DOM). Only node_modules is ignored by
// default, so TDesign under miniprogram_npm/ (ESM) goes through Babel; run `npm run build:npm`
// before the component tests.
module.exports = {
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/tests/**/*.test.js'],
  setupFiles: ['<rootDir>/tests/setup.js'],
  snapshotSerializers: ['miniprogram-simulate/jest-snapshot-plugin'],
  restoreMocks: true,
}
