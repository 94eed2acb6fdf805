// Driving a real n8n installation (see n8n-install.ts): its environment, its CLI, and installing this
// package into it the way Settings → Community Nodes does. Shared by `npm start` and the e2e suite.
import { createHash } from 'node:crypto';
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	renameSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_NAME, repoRoot, run, runOk, type RunOptions, type RunResult } from './lib.ts';
import { pathWithNode, type N8nInstallation } from './n8n-install.ts';

export interface N8nEnvOptions {
	/** N8N_USER_FOLDER: n8n keeps its database, key and community packages in <userFolder>/.n8n. */
	userFolder: string;
	/** CA file for NODE_EXTRA_CA_CERTS (the sandbox's test CA, for HTTPS logins). */
	caFile?: string;
	port?: number;
	/** The task runner broker's port (default 5679): distinct per concurrent n8n process. */
	runnerBrokerPort?: number;
	/** Send n8n's log to this file instead of stdout (keeps `execute --rawOutput` output pure JSON). */
	logFile?: string;
	logLevel?: 'error' | 'warn' | 'info' | 'debug';
	extra?: Record<string, string>;
}

/** The environment n8n runs in here: local only, no telemetry, nothing fetched from the internet. */
export function n8nEnv(inst: N8nInstallation, options: N8nEnvOptions): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = { ...process.env };
	// An outer `npm run` leaves npm_* variables that would confuse the npm that n8n itself may call.
	for (const key of Object.keys(env)) if (/^npm_/i.test(key)) delete env[key];
	// A test runner's NODE_ENV=test (jest sets it) silences n8n's logger and changes its defaults.
	delete env.NODE_ENV;
	delete env.JEST_WORKER_ID;
	Object.assign(env, {
		PATH: pathWithNode(inst),
		N8N_USER_FOLDER: options.userFolder,
		N8N_PORT: String(options.port ?? 5678),
		N8N_LISTEN_ADDRESS: process.env.N8N_LISTEN_ADDRESS || '127.0.0.1',
		N8N_HOST: 'localhost',
		N8N_PROTOCOL: 'http',
		N8N_SECURE_COOKIE: 'false',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_RUNNERS_BROKER_PORT: String(options.runnerBrokerPort ?? 5679),
		N8N_LOG_LEVEL: options.logLevel ?? 'info',
		DB_SQLITE_POOL_SIZE: '2',
		GENERIC_TIMEZONE: 'UTC',
		TZ: 'UTC',
	});
	// Our external hook records the package as Settings → Community Nodes does (see n8n-external-hooks.cjs),
	// after any hook files of the caller's own environment.
	const hookSeparator = env.EXTERNAL_HOOK_FILES_SEPARATOR || ':';
	env.EXTERNAL_HOOK_FILES = [env.EXTERNAL_HOOK_FILES, communityPackageHookFile()]
		.filter(Boolean)
		.join(hookSeparator);
	if (options.logFile)
		Object.assign(env, { N8N_LOG_OUTPUT: 'file', N8N_LOG_FILE_LOCATION: options.logFile });
	if (options.caFile)
		env.NODE_EXTRA_CA_CERTS = withInheritedCas(options.caFile, env.NODE_EXTRA_CA_CERTS);
	Object.assign(env, options.extra ?? {});
	return env;
}

/**
 * NODE_EXTRA_CA_CERTS names one file: keep the CAs the environment already trusts (a TLS-inspecting
 * proxy's, say, which n8n's own npm calls need) beside the sandbox's test CA, in a file next to it.
 */
function withInheritedCas(caFile: string, inherited: string | undefined): string {
	if (!inherited || path.resolve(inherited) === path.resolve(caFile) || !existsSync(inherited))
		return caFile;
	const combined = caFile.replace(/(\.pem)?$/, '-and-inherited.pem');
	writeFileSync(
		combined,
		`${readFileSync(caFile, 'utf8').trim()}\n${readFileSync(inherited, 'utf8')}`,
	);
	return combined;
}

/**
 * The n8n external hook file that, when `n8n start` is ready, records this package in n8n's database
 * (installed_packages, installed_nodes) with n8n's own CommunityPackagesService, as the Settings → Community
 * Nodes install does after its download: without that record n8n runs the node but the page does not list it.
 */
export function communityPackageHookFile(repo: string = repoRoot()): string {
	return path.join(repo, 'scripts', 'n8n-external-hooks.cjs');
}

/** Runs `n8n <args>` with the installation's Node. */
export function n8nCli(
	inst: N8nInstallation,
	env: NodeJS.ProcessEnv,
	args: string[],
	options: RunOptions = {},
): Promise<RunResult> {
	return run(inst.nodeBin, [inst.n8nBin, ...args], { env, ...options });
}

export async function n8nCliOk(
	inst: N8nInstallation,
	env: NodeJS.ProcessEnv,
	args: string[],
	options: RunOptions = {},
): Promise<RunResult> {
	return runOk(inst.nodeBin, [inst.n8nBin, ...args], { env, ...options });
}

/** The environment for npm commands: Node 24 first on PATH, without an outer `npm run`'s npm_config_* settings. */
function npmEnv(inst: N8nInstallation): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithNode(inst) };
	for (const key of Object.keys(env)) if (/^npm_config_/i.test(key)) delete env[key];
	return env;
}

/** `npm pack` of the repository (dist/ must be built) into `destination`; returns the tarball's path. */
export async function packPackage(
	repo: string,
	destination: string,
	inst: N8nInstallation,
): Promise<string> {
	mkdirSync(destination, { recursive: true });
	for (const name of readdirSync(destination))
		if (name.startsWith(`${PACKAGE_NAME}-`) && name.endsWith('.tgz'))
			rmSync(path.join(destination, name));
	const result = await runOk('npm', ['pack', '--silent', '--pack-destination', destination], {
		cwd: repo,
		env: npmEnv(inst),
	});
	const name = result.stdout.trim().split('\n').pop()!.trim();
	const tarball = path.join(destination, name);
	if (!existsSync(tarball))
		throw new Error(`npm pack said '${name}' but ${tarball} does not exist`);
	return tarball;
}

/**
 * Installs the packed package into <userFolder>/.n8n/nodes exactly as n8n 2.41's CommunityPackagesService
 * does for a package from the registry: unpack into nodes/node_modules/<name>, drop dev/peer/optional
 * dependencies from its package.json, `npm install` its dependencies inside it (shallow, no scripts, no
 * lock), and record it in nodes/package.json. n8n loads every n8n-nodes-* package found there at start.
 * The database record that Settings → Community Nodes lists is written by n8n itself when it starts with
 * n8nEnv's external hook (communityPackageHookFile), since only a running n8n has its migrations and loader.
 *
 * One difference from n8n: nodes/package.json gives the package as `file:<tarball>` (what npm writes for a
 * package installed from a tarball) where n8n writes the registry version. The Settings page runs
 * `npm outdated` there to offer updates, and a version would make that look the unpublished package up in the
 * npm registry on every visit (offline: about 70 s of retries before the page lists anything); npm skips
 * non-registry specs. The page takes the version it shows from the database.
 */
export async function installIntoN8n(
	inst: N8nInstallation,
	userFolder: string,
	tarball: string,
): Promise<string> {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const target = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	mkdirSync(path.join(nodesDir, 'node_modules'), { recursive: true });
	const unpack = mkdtempSync(path.join(nodesDir, '.unpack-'));
	try {
		await runOk('tar', ['-xzf', tarball, '-C', unpack, '--strip-components=1']);
		const manifestPath = path.join(unpack, 'package.json');
		const {
			devDependencies: _dev,
			peerDependencies: _peer,
			optionalDependencies: _optional,
			...manifest
		} = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
		writeFileSync(manifestPath, JSON.stringify(manifest, null, 2), 'utf8');
		const env = npmEnv(inst);
		await runOk(
			'npm',
			[
				'install',
				'--audit=false',
				'--fund=false',
				'--bin-links=false',
				'--install-strategy=shallow',
				'--ignore-scripts=true',
				'--package-lock=false',
				'--no-update-notifier',
				'--loglevel=warn',
			],
			{ cwd: unpack, env },
		);
		rmSync(target, { recursive: true, force: true });
		renameSync(unpack, target);
		const packageJsonPath = path.join(nodesDir, 'package.json');
		const nodesPackage = existsSync(packageJsonPath)
			? (JSON.parse(readFileSync(packageJsonPath, 'utf8')) as {
					dependencies?: Record<string, string>;
				})
			: { name: 'installed-nodes', private: true, dependencies: {} };
		const fromTarball = `file:${path.relative(nodesDir, path.resolve(tarball)).split(path.sep).join('/')}`;
		nodesPackage.dependencies = {
			...(nodesPackage.dependencies ?? {}),
			[PACKAGE_NAME]: fromTarball,
		};
		writeFileSync(packageJsonPath, JSON.stringify(nodesPackage, null, 2), 'utf8');
		return target;
	} finally {
		rmSync(unpack, { recursive: true, force: true });
	}
}

/** `n8n import:credentials` of a list (plaintext data; n8n encrypts it with the instance key). Upserts by id. */
export async function importCredentials(
	inst: N8nInstallation,
	env: NodeJS.ProcessEnv,
	file: string,
): Promise<void> {
	await n8nCliOk(inst, env, ['import:credentials', `--input=${file}`]);
}

/** `n8n import:workflow` of one workflow file (a JSON object or array). Upserts by id. */
export async function importWorkflow(
	inst: N8nInstallation,
	env: NodeJS.ProcessEnv,
	file: string,
): Promise<void> {
	await n8nCliOk(inst, env, ['import:workflow', `--input=${file}`]);
}

/** Imports a folder of workflow files in one n8n run (`--separate`: one workflow per file). */
export async function importWorkflowFolder(
	inst: N8nInstallation,
	env: NodeJS.ProcessEnv,
	folder: string,
): Promise<void> {
	await n8nCliOk(inst, env, ['import:workflow', '--separate', `--input=${folder}`]);
}

export interface OwnerAccount {
	email: string;
	password: string;
	firstName: string;
	lastName: string;
}

export const SANDBOX_OWNER: OwnerAccount = {
	email: 'owner@sandbox.example.com',
	password: 'Sandbox-Owner-1',
	firstName: 'Sandbox',
	lastName: 'Owner',
};

/**
 * n8n 2.41 sets the instance owner up from the environment at start (N8N_INSTANCE_OWNER_MANAGED_BY_ENV with
 * a bcrypt hash of the password), so nobody meets the owner setup form. The hash is made with n8n's own bcryptjs.
 */
export function ownerEnv(
	inst: N8nInstallation,
	owner: OwnerAccount = SANDBOX_OWNER,
): Record<string, string> {
	const requireFromN8n = createRequire(
		path.join(inst.n8nPrefix, 'node_modules', 'n8n', 'package.json'),
	);
	const bcrypt = requireFromN8n('bcryptjs') as {
		hashSync(password: string, rounds: number): string;
	};
	return {
		N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
		N8N_INSTANCE_OWNER_EMAIL: owner.email,
		N8N_INSTANCE_OWNER_FIRST_NAME: owner.firstName,
		N8N_INSTANCE_OWNER_LAST_NAME: owner.lastName,
		N8N_INSTANCE_OWNER_PASSWORD_HASH: bcrypt.hashSync(owner.password, 10),
	};
}

export function fileHash(file: string): string {
	return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export interface ExecuteResult {
	/** The execution (IRun) that n8n logged; undefined if it logged none (it could not start the workflow). */
	run?: ExecutionRun;
	code: number | null;
	/** n8n's log of this command (JSON lines), for failure messages. */
	log: string;
	durationMs: number;
}

/**
 * `n8n execute --id=<id> --rawOutput`. n8n 2.41 prints the execution through its logger, so the log goes to a
 * file of its own (JSON lines) and the execution is the logged message that parses as an IRun.
 */
export async function executeWorkflow(
	inst: N8nInstallation,
	env: NodeJS.ProcessEnv,
	workflowId: string,
	logFile: string,
	timeoutMs = 10 * 60_000,
): Promise<ExecuteResult> {
	rmSync(logFile, { force: true });
	const started = Date.now();
	const result = await n8nCli(
		inst,
		{ ...env, N8N_LOG_OUTPUT: 'file', N8N_LOG_FILE_LOCATION: logFile, N8N_LOG_LEVEL: 'info' },
		['execute', `--id=${workflowId}`, '--rawOutput'],
		{ timeoutMs },
	);
	const log = existsSync(logFile)
		? readFileSync(logFile, 'utf8')
		: `${result.stdout}\n${result.stderr}`;
	return { run: findLoggedRun(log), code: result.code, log, durationMs: Date.now() - started };
}

/** The last logged message that is an execution (an object with data.resultData). */
export function findLoggedRun(log: string): ExecutionRun | undefined {
	let found: ExecutionRun | undefined;
	for (const line of log.split('\n')) {
		if (!line.includes('resultData')) continue;
		try {
			const record = JSON.parse(line) as { message?: unknown };
			const message = typeof record.message === 'string' ? record.message.trim() : '';
			if (!message.startsWith('{')) continue;
			const candidate = JSON.parse(message) as ExecutionRun;
			if (candidate?.data?.resultData) found = candidate;
		} catch {
			// not a JSON line or not an execution
		}
	}
	return found;
}

/** The log's warnings and errors (n8n's JSON lines), shortened: what a failed assertion shows. */
export function logProblems(log: string, max = 40): string {
	return log
		.split('\n')
		.filter((line) => /"level":"(warn|error)"/.test(line))
		.slice(-max)
		.map((line) => line.slice(0, 600))
		.join('\n');
}

export interface NodeRun {
	startTime: number;
	executionTime: number;
	executionStatus?: string;
	error?: { message: string; description?: string };
	data?: {
		main?: Array<Array<{
			json: Record<string, unknown>;
			pairedItem?: unknown;
			error?: unknown;
		}> | null>;
	};
}

export interface ExecutionRun {
	status?: string;
	finished?: boolean;
	startedAt?: string;
	stoppedAt?: string;
	data: {
		resultData: {
			runData: Record<string, NodeRun[]>;
			lastNodeExecuted?: string;
			error?: { message: string };
		};
	};
}

/** The items a node output (first run, first output). */
export function nodeOutput(
	runResult: ExecutionRun,
	nodeName: string,
): Array<Record<string, unknown>> {
	const runs = runResult.data.resultData.runData[nodeName];
	if (!runs?.length)
		throw new Error(
			`node '${nodeName}' did not run; ran: ${Object.keys(runResult.data.resultData.runData).join(', ')}`,
		);
	return (runs[0].data?.main?.[0] ?? []).map((item) => item.json);
}
