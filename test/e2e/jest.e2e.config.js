/**
 * End-to-end tests in a real n8n 2.41 (npm run test:e2e): the package is packed, installed into n8n the way
 * Community Nodes installs it, and the example workflows run with `n8n execute` against the sandbox tenant;
 * one test drives the editor in headless Chromium. The first run installs n8n (about 6 minutes, cached after).
 * @type {import('jest').Config}
 */
module.exports = {
	rootDir: '../..',
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.e2e.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
	// Each suite starts n8n processes of its own; two cores are better spent one suite at a time.
	maxWorkers: 1,
	testTimeout: 5 * 60_000,
	slowTestThreshold: 120,
};
