// Jest runs in jsdom (miniprogram-simulate renders into a DOM). Only node_modules is ignored by
// default, so TDesign under miniprogram_npm/ (ESM) goes through Babel; run `npm run build:npm`
// before the component tests.
module.exports = {
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/tests/**/*.test.js'],
  setupFiles: ['<rootDir>/tests/setup.js'],
  setupFilesAfterEnv: ['<rootDir>/tests/setup-after-env.js'],
  snapshotSerializers: ['miniprogram-simulate/jest-snapshot-plugin'],
  // TDesign's locale mixin imports dayjs, which the npm build nests under its own
  // miniprogram_npm/ (WeChat resolves it there, Node's resolver does not).
  moduleNameMapper: {
    '^dayjs$': '<rootDir>/miniprogram_npm/tdesign-miniprogram/miniprogram_npm/dayjs/index.js',
    '^dayjs/(.*)$': '<rootDir>/miniprogram_npm/tdesign-miniprogram/miniprogram_npm/dayjs/$1',
  },
  restoreMocks: true,
}
