// Small helpers shared by the scripts (npm start, npm run sandbox, the n8n installer) and the e2e suite.
// Plain erasable TypeScript: Node 24 runs it directly (type stripping) and ts-jest transpiles it.
import { spawn, type SpawnOptions } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const PACKAGE_NAME = 'n8n-nodes-microsoft-intune';

/** The repository root: the nearest folder upwards from `from` (default: cwd) whose package.json is this package. */
export function repoRoot(from: string = process.cwd()): string {
	let dir = path.resolve(from);
	for (;;) {
		const manifest = path.join(dir, 'package.json');
		if (existsSync(manifest)) {
			try {
				if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
			} catch {
				// not ours; keep walking up
			}
		}
		const parent = path.dirname(dir);
		if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} repository above ${from}`);
		dir = parent;
	}
}

export function formatDuration(ms: number): string {
	const s = Math.round(ms / 1000);
	return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export interface Progress {
	/** Prints `[tag] (i/n) message` with the time since the start, and returns a `done` function for the step. */
	step(message: string): (note?: string) => void;
	/** A line under the current step (heartbeats). */
	detail(message: string): void;
	info(message: string): void;
}

export function progress(tag: string, totalSteps: number, out: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Progress {
	const started = Date.now();
	let index = 0;
	const stamp = () => formatDuration(Date.now() - started);
	return {
		step(message: string) {
			index += 1;
			const stepStarted = Date.now();
			out(`[${tag}] (${index}/${totalSteps}) ${message} … (t+${stamp()})`);
			return (note?: string) => out(`[${tag}]       done in ${formatDuration(Date.now() - stepStarted)}${note ? ` — ${note}` : ''}`);
		},
		detail(message: string) {
			out(`[${tag}]       ${message}`);
		},
		info(message: string) {
			out(`[${tag}] ${message}`);
		},
	};
}

export interface RunOptions extends SpawnOptions {
	/** Called every `heartbeatMs` (default 30 s) while the command runs, with the elapsed time. */
	heartbeat?: (elapsed: string) => void;
	heartbeatMs?: number;
	/** Where to append the command's output (otherwise it is collected and returned). */
	logFile?: string;
	/** Streams the child's output to ours as it comes. */
	inherit?: boolean;
	timeoutMs?: number;
}

export interface RunResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
}

/** Runs a command to completion, never through a shell. Rejects only when it cannot be started. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
	const { heartbeat, heartbeatMs = 30_000, logFile, inherit, timeoutMs, ...spawnOptions } = options;
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		const started = Date.now();
		let log: ((chunk: Buffer) => void) | undefined;
		if (logFile) log = (chunk) => appendFileSync(logFile, chunk);
		child.stdout!.on('data', (chunk: Buffer) => {
			stdout += chunk.toString();
			log?.(chunk);
			if (inherit) process.stdout.write(chunk);
		});
		child.stderr!.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
			log?.(chunk);
			if (inherit) process.stderr.write(chunk);
		});
		const timer = heartbeat ? setInterval(() => heartbeat(formatDuration(Date.now() - started)), heartbeatMs) : undefined;
		const killer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
		child.on('error', (e) => {
			if (timer) clearInterval(timer);
			if (killer) clearTimeout(killer);
			reject(e);
		});
		child.on('close', (code, signal) => {
			if (timer) clearInterval(timer);
			if (killer) clearTimeout(killer);
			resolve({ code, signal, stdout, stderr });
		});
	});
}

/** Like run, but throws with the command's last output lines when it does not exit 0. */
export async function runOk(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
	const result = await run(command, args, options);
	if (result.code !== 0) {
		const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-25).join('\n');
		throw new Error(`${path.basename(command)} ${args.join(' ')} exited with ${result.code ?? result.signal}${options.logFile ? ` (full log: ${options.logFile})` : ''}\n${tail}`);
	}
	return result;
}

export function sleep(ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `url` answers with a status below 500 (n8n's /healthz, the emulator's control API). */
export async function waitForHttp(url: string, timeoutMs: number, isAlive: () => boolean = () => true): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let lastError = '';
	while (Date.now() < deadline) {
		if (!isAlive()) throw new Error(`the process serving ${url} exited before it answered`);
		try {
			const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
			if (res.status < 500) return;
			lastError = `HTTP ${res.status}`;
		} catch (e) {
			lastError = (e as Error).message;
		}
		await sleep(500);
	}
	throw new Error(`${url} did not answer within ${formatDuration(timeoutMs)} (${lastError})`);
}
