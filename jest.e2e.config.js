/**
 * `npm run e2e`: the end-to-end test with a real Prometheus and Alertmanager,
 * kept out of `npm test` (jest.config.js only matches *.test.ts) so that stays fast.
 * @type {import('jest').Config}
 */
module.exports = {
  ...require("./jest.config.js"),
  roots: ["<rootDir>/test/e2e"],
  testMatch: ["<rootDir>/test/e2e/**/*.e2e.ts"],
  testTimeout: 60000,
  // One stack of real daemons at a time: they are what the 2 cores are for.
  maxWorkers: 1,
};
