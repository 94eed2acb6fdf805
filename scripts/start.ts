// `npm start`: this package in a real n8n, against the sandbox tenant, in one command.
//   1. build the package (tsc + gulp) and pack it (npm pack)
//   2. install n8n 2.41 with its own Node 24 if it is not in the cache yet (scripts/n8n-install.ts)
//   3. install the tarball into <user folder>/.n8n/nodes the way Settings → Community Nodes does
//   4. start the sandbox tenant (scripts/sandbox.ts: seeded policies and user statuses, throttling, 204s)
//   5. import a ready credential of each kind pointing at the sandbox, and the example workflows
//   6. start n8n on http://localhost:5678 with the owner account set up from the environment; as it starts,
//      n8n records the package in its database (scripts/n8n-external-hooks.cjs), so that Settings →
//      Community Nodes lists it as if it had been installed there
// and stay in the foreground until Ctrl-C, which stops n8n and the sandbox.
//
//   npm start [-- --port 5678 --user-folder .n8n-local --sandbox-port 5690 --sandbox-https-port 5691 --skip-build --verbose]
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatDuration, progress, repoRoot, runOk, waitForHttp } from './lib.ts';
import { ensureN8n } from './n8n-install.ts';
import { fileHash, importCredentials, importWorkflowFolder, installIntoN8n, n8nEnv, ownerEnv, packPackage, SANDBOX_OWNER } from './n8n.ts';
import { startSandbox, type Sandbox } from './sandbox.ts';

function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
	return new Promise((resolve) => {
		const server = net.createServer();
		server.once('error', () => resolve(false));
		server.listen(port, host, () => server.close(() => resolve(true)));
	});
}

function intOption(value: string | undefined, name: string, fallback: number): number {
	if (value === undefined || value === '') return fallback;
	const n = Number(value);
	if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`--${name} needs a port number, got '${value}'`);
	return n;
}

/**
 * Imports the examples that are new or changed since the last start, in one n8n run; an example the user
 * edited in n8n is left alone as long as its file in examples/ does not change.
 */
async function importExamples(repo: string, userFolder: string, scratch: string, importFolder: (folder: string) => Promise<void>): Promise<string[]> {
	const stateFile = path.join(userFolder, 'imported-examples.json');
	const database = path.join(userFolder, '.n8n', 'database.sqlite');
	let state: Record<string, string> = {};
	if (existsSync(stateFile) && existsSync(database)) state = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, string>;
	const examplesDir = path.join(repo, 'examples');
	const changed = readdirSync(examplesDir)
		.filter((f) => f.endsWith('.json'))
		.sort()
		.filter((name) => state[name] !== fileHash(path.join(examplesDir, name)));
	if (changed.length === 0) return [];
	rmSync(scratch, { recursive: true, force: true });
	mkdirSync(scratch, { recursive: true });
	for (const name of changed) cpSync(path.join(examplesDir, name), path.join(scratch, name));
	await importFolder(scratch);
	for (const name of changed) state[name] = fileHash(path.join(examplesDir, name));
	writeFileSync(stateFile, `${JSON.stringify(state, null, '\t')}\n`);
	return changed;
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			port: { type: 'string' },
			'user-folder': { type: 'string' },
			'sandbox-port': { type: 'string' },
			'sandbox-https-port': { type: 'string' },
			'runner-port': { type: 'string' },
			'skip-build': { type: 'boolean', default: false },
			verbose: { type: 'boolean', default: false },
			help: { type: 'boolean', default: false },
		},
	});
	if (values.help) {
		console.log('usage: npm start [-- --port 5678 --user-folder .n8n-local --sandbox-port 5690 --sandbox-https-port 5691 --runner-port 5679 --skip-build --verbose]');
		return;
	}
	const repo = repoRoot();
	const port = intOption(values.port ?? process.env.N8N_PORT, 'port', 5678);
	const sandboxPort = intOption(values['sandbox-port'] ?? process.env.SANDBOX_PORT, 'sandbox-port', 5690);
	const sandboxHttpsPort = intOption(values['sandbox-https-port'] ?? process.env.SANDBOX_HTTPS_PORT, 'sandbox-https-port', 5691);
	const runnerPort = intOption(values['runner-port'] ?? process.env.N8N_RUNNERS_BROKER_PORT, 'runner-port', 5679);
	const userFolder = path.resolve(repo, values['user-folder'] ?? '.n8n-local');
	const local = path.join(userFolder, 'work');
	mkdirSync(local, { recursive: true });

	for (const [p, what] of [[port, 'n8n'], [runnerPort, "n8n's task runner broker"], [sandboxPort, 'the sandbox (HTTP)'], [sandboxHttpsPort, 'the sandbox (HTTPS)']] as const) {
		if (!(await portFree(p))) throw new Error(`port ${p} (${what}) is in use — is another \`npm start\` running? Choose other ports with --port, --runner-port, --sandbox-port, --sandbox-https-port.`);
	}

	const started = Date.now();
	const log = progress('start', 7, (line) => console.log(line));
	let done = log.step(values['skip-build'] ? 'skipping the build (--skip-build)' : 'building the package (npm run build)');
	if (!values['skip-build']) await runOk('npm', ['run', 'build'], { cwd: repo });
	done();

	done = log.step('making sure n8n 2.41 is installed (first time: about 6 minutes, cached afterwards)');
	const inst = await ensureN8n({ log: progress('n8n', 4, (line) => console.log(`        ${line}`)) });
	done(inst.dir);

	done = log.step('packing the package and installing it into n8n as Community Nodes does');
	const tarball = await packPackage(repo, path.join(local, 'package'), inst);
	const installed = await installIntoN8n(inst, userFolder, tarball);
	done(path.relative(repo, installed) || installed);

	done = log.step(`starting the sandbox tenant on ports ${sandboxPort} and ${sandboxHttpsPort}`);
	const sandbox: Sandbox = await startSandbox({ port: sandboxPort, httpsPort: sandboxHttpsPort, dir: path.join(local, 'sandbox') });
	let n8n: ChildProcess | undefined;
	let stopping = false;
	const stop = async (code: number) => {
		if (stopping) return;
		stopping = true;
		console.log('\n[start] stopping n8n and the sandbox …');
		if (n8n && n8n.exitCode === null && n8n.signalCode === null) {
			const exited = new Promise((resolve) => n8n!.once('exit', resolve));
			n8n.kill('SIGTERM');
			const timer = setTimeout(() => n8n!.kill('SIGKILL'), 20_000);
			await exited;
			clearTimeout(timer);
		}
		await sandbox.close();
		process.exit(code);
	};
	process.once('SIGINT', () => void stop(0));
	process.once('SIGTERM', () => void stop(0));
	done(`${sandbox.httpUrl} and ${sandbox.httpsUrl}`);

	try {
		const n8nLog = path.join(local, 'n8n.log');
		const env = n8nEnv(inst, { userFolder, caFile: sandbox.caFile, port, runnerBrokerPort: runnerPort });

		done = log.step('importing the sandbox credentials (OAuth2, service principal with secret and with certificate)');
		sandbox.credentials();
		await importCredentials(inst, env, sandbox.credentialsFile);
		done();

		done = log.step('importing the example workflows');
		const imported = await importExamples(repo, userFolder, path.join(local, 'examples'), (folder) => importWorkflowFolder(inst, env, folder));
		done(imported.length ? imported.join(', ') : 'unchanged since the last start');

		done = log.step(`starting n8n on http://localhost:${port}`);
		const out = createWriteStream(n8nLog, { flags: 'a' });
		n8n = spawn(inst.nodeBin, [inst.n8nBin, 'start'], { env: { ...env, ...ownerEnv(inst) }, stdio: ['ignore', 'pipe', 'pipe'] });
		for (const stream of [n8n.stdout!, n8n.stderr!]) {
			stream.pipe(out, { end: false });
			if (values.verbose) stream.on('data', (chunk: Buffer) => process.stdout.write(chunk));
		}
		n8n.once('exit', (code, signal) => {
			if (stopping) return;
			console.error(`[start] n8n exited (${code ?? signal}); its log: ${n8nLog}`);
			try {
				console.error(readFileSync(n8nLog, 'utf8').split('\n').slice(-30).join('\n'));
			} catch {
				// no log
			}
			void stop(1);
		});
		await waitForHttp(`http://127.0.0.1:${port}/healthz/readiness`, 180_000, () => n8n!.exitCode === null);
		done();

		const base = `http://localhost:${port}`;
		console.log(
			[
				'',
				`n8n is ready: ${base}   (started in ${formatDuration(Date.now() - started)})`,
				`  Sign in as ${SANDBOX_OWNER.email} with the password ${SANDBOX_OWNER.password}`,
				`  Example workflows (Execute workflow runs them against the sandbox):`,
				`    ${base}/workflow/intuneTicketOAuth    remediate a ticket's non-compliant users (OAuth2)`,
				`    ${base}/workflow/intuneTicketSvcPr    the same with the service principal credential`,
				`    ${base}/workflow/intuneTicketQueue    a queue of tickets, some malformed, with continue on fail`,
				`    ${base}/workflow/intunePolicyTour     every operation: policies, a user's row, create and delete a row`,
				`  n8n's log: ${n8nLog}`,
				'',
				sandbox.describe(),
				'',
				'Ctrl-C stops n8n and the sandbox. Data stays in the user folder; `rm -rf .n8n-local` starts afresh.',
			].join('\n'),
		);
	} catch (e) {
		console.error(`[start] ${(e as Error).message}`);
		await stop(1);
	}
}

main().catch((e) => {
	console.error(`[start] ${(e as Error).message}`);
	process.exit(1);
});
