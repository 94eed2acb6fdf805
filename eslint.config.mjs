import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

// n8n's community rules apply to what ships (nodes/, credentials/, package.json). Cloud support is off
// because of the one deliberate runtime dependency, @azure/msal-node, which n8n Cloud does not allow.
export default [
	...configWithoutCloudSupport,
	{ ignores: ['test/**', 'scripts/**', 'bench/**', '*.js', '*.mjs'] },
	{ files: ['package.json'], rules: { '@n8n/community-nodes/no-runtime-dependencies': 'off' } },
];
