// An n8n external hook file (EXTERNAL_HOOK_FILES, set by n8nEnv in scripts/n8n.ts), so that `npm start`
// and the e2e suite record this package in n8n's database the way Settings → Community Nodes does.
//
// Why: n8n 2.41 loads every n8n-nodes-* package in <N8N_USER_FOLDER>/.n8n/nodes/node_modules, but Settings →
// Community Nodes lists only the packages recorded in its database (tables installed_packages and
// installed_nodes). Its own install (CommunityPackagesService.installOrUpdatePackage) downloads the package
// from the npm registry, loads it with a PackageDirectoryLoader, then records it with
// persistInstalledPackage (an update: replaceInstalledPackage). installIntoN8n (scripts/n8n.ts) does the
// download part from our tarball; this hook does the recording part, with n8n's own service, once n8n has
// started (its migrations have run, the package is loaded) and before /healthz/readiness answers 200.
//
// Plain CommonJS because n8n `require`s hook files; n8n's modules are resolved from the n8n that runs it.
'use strict';

const path = require('node:path');
const { createRequire } = require('node:module');

const PACKAGE_NAME = 'n8n-nodes-microsoft-intune';

/**
 * Records PACKAGE_NAME, as installed in n8n's nodes folder, in installed_packages / installed_nodes through
 * n8n's CommunityPackagesService, unless the record already says the same (version, author, node types).
 * Returns what it did.
 */
async function recordCommunityPackage() {
	// require.main is n8n's bin/n8n: resolve from there, so these are the very modules (and DI container) n8n runs.
	const fromN8n = createRequire(require.main.filename);
	const { Container } = fromN8n('@n8n/di');
	const { InstanceSettings, PackageDirectoryLoader } = fromN8n('n8n-core');
	const { LoadNodesAndCredentials } = fromN8n('../dist/load-nodes-and-credentials.js');
	const { CommunityPackagesService } = fromN8n('../dist/modules/community-packages/community-packages.service.js');

	const nodesAndCredentials = Container.get(LoadNodesAndCredentials);
	if (!(PACKAGE_NAME in nodesAndCredentials.loaders)) return 'not loaded by n8n, so not recorded';

	// What n8n's install records: a freshly loaded PackageDirectoryLoader of the installed package (the loader
	// n8n started with may be lazy and know no node classes), with n8n's own include/exclude settings.
	const directory = path.join(Container.get(InstanceSettings).nodesDownloadDir, 'node_modules', PACKAGE_NAME);
	const loader = new PackageDirectoryLoader(directory, nodesAndCredentials.excludeNodes, nodesAndCredentials.includeNodes);
	await loader.loadAll();
	const { version, author } = loader.packageJson;
	const nodes = (list) => JSON.stringify(list.map((node) => [node.type, node.name, Number(node.latestVersion)]).sort());
	const wanted = nodes(
		loader.loadedNodes.map((node) => ({
			type: `${PACKAGE_NAME}.${node.name}`,
			name: loader.nodeTypes[node.name].type.description.displayName,
			latestVersion: node.version,
		})),
	);

	const service = Container.get(CommunityPackagesService);
	const recorded = await service.findInstalledPackage(PACKAGE_NAME);
	if (
		recorded &&
		recorded.installedVersion === version &&
		(recorded.authorName ?? undefined) === author?.name &&
		(recorded.authorEmail ?? undefined) === author?.email &&
		nodes(recorded.installedNodes) === wanted
	) {
		return `${PACKAGE_NAME}@${version} already recorded`;
	}
	if (recorded) await service.replaceInstalledPackage(recorded, loader);
	else await service.persistInstalledPackage(loader);
	return `recorded ${PACKAGE_NAME}@${version}${recorded ? ` (was ${recorded.installedVersion})` : ''} with ${loader.loadedNodes.length} node(s)`;
}

/** n8n's logger, for lines in n8n's own log. */
function n8nLogger() {
	const fromN8n = createRequire(require.main.filename);
	return fromN8n('@n8n/di').Container.get(fromN8n('@n8n/backend-common').Logger);
}

module.exports = {
	n8n: {
		// Runs in `n8n start` once the server is configured, before it reports itself ready.
		ready: [
			async function () {
				const logger = n8nLogger();
				const started = Date.now();
				try {
					const outcome = await recordCommunityPackage();
					logger.info(`Settings → Community Nodes: ${outcome} (${Date.now() - started} ms)`);
				} catch (error) {
					// n8n runs the node either way; only the Settings page would not list it.
					logger.error(`Settings → Community Nodes: could not record ${PACKAGE_NAME}: ${error instanceof Error ? error.stack : String(error)}`);
				}
			},
		],
	},
};
