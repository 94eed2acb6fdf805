/**
 * `npm run bench`: how fast bulk updates get through under Intune's throttling, and what they cost.
 *
 * Starts the local emulator with Intune's write budget (100 per window) on a time-scaled window (20 s
 * → 5 s by default: the ratios are what matter) and some latency, then updates N user statuses three ways:
 *   (a) this node, run by n8n's engine (batching, pacing, retries), told the scaled window;
 *   (b) one request per item, all at once: n8n's HTTP Request node, with Retry On Fail (3 tries, 1 s apart, scaled);
 *   (c) one request per item, in sequence, with the same Retry On Fail.
 * It prints wall time, items per second, HTTP requests, 429s and failed items, and the ratio of (a)'s
 * time to the throttle limit; then the same without throttling at 50 ms latency. It writes the table as
 * JSON and an SVG of items completed over time against the throttle-limit line, and the node's heap
 * overhead per item at 1000 and 5000 items.
 *
 * Options: --sizes 100,1000,5000  --window-ms 5000  --latency-ms 20  --skip-unthrottled  --out bench/results
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { Emulator } from '../test/emulator/index.ts';
import { startEmulator } from '../test/emulator/index.ts';
import { IntuneHarness } from '../test/harness/index.ts';
import { oauthCredential, updateParameters } from '../test/support/credentials.ts';

interface Options {
	sizes: number[];
	windowMs: number;
	latencyMs: number;
	unthrottled: boolean;
	out: string;
}

function parseOptions(argv: string[]): Options {
	const value = (name: string, fallback: string) => {
		const index = argv.indexOf(`--${name}`);
		return index >= 0 && argv[index + 1] ? argv[index + 1] : fallback;
	};
	return {
		sizes: value('sizes', '100,1000,5000').split(',').map(Number),
		windowMs: Number(value('window-ms', '5000')),
		latencyMs: Number(value('latency-ms', '20')),
		unthrottled: !argv.includes('--skip-unthrottled'),
		out: value('out', 'bench/results'),
	};
}

const WRITES_PER_WINDOW = 100;
const HTTP_REQUEST_NODE_TRIES = 3;
const HTTP_REQUEST_NODE_WAIT_MS = 1000;

type Approach = 'a: this node' | 'b: all at once' | 'c: in sequence';

interface Measurement {
	scenario: string;
	approach: Approach;
	items: number;
	seconds: number;
	itemsPerSecond: number;
	httpRequests: number;
	throttled429: number;
	failedItems: number;
	/** (a) only: wall time over the throttle limit (N - budget) / rate */
	ratioToThrottleLimit?: number;
	/** Seconds from start at which each item's update succeeded, for the picture. */
	completions: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The fastest any client can update N items: the first budget at once, then one window per budget. */
function throttleLimitSeconds(items: number, windowMs: number): number {
	return (Math.max(0, items - WRITES_PER_WINDOW) * windowMs) / WRITES_PER_WINDOW / 1000;
}

interface Scenario {
	name: string;
	throttled: boolean;
	latencyMs: number;
	windowMs: number;
	/** What the node is told (its Write Budget option): Intune's 100, or no limit where Graph sets none. */
	nodeWriteBudget: number;
}

function configure(emulator: Emulator, scenario: Scenario) {
	emulator.reset();
	emulator.configure({
		latencyMs: scenario.latencyMs,
		throttle: {
			enabled: scenario.throttled,
			writesPerWindow: WRITES_PER_WINDOW,
			requestsPerWindow: WRITES_PER_WINDOW * 10,
			windowMs: scenario.windowMs,
			retryAfter: 'decimal',
		},
	});
}

function rows(emulator: Emulator, count: number) {
	const policy = emulator.data.policies[0];
	return emulator.data.userStatuses
		.get(policy.id)!
		.slice(0, count)
		.map((row) => ({ policyId: policy.id, userStatusId: String(row.id) }));
}

/** Successful PATCHes, as seconds since `start`, from the emulator's log. */
function completionTimes(emulator: Emulator, start: number): number[] {
	return emulator.requests
		.filter((r) => r.method === 'PATCH' && r.status >= 200 && r.status < 300)
		.map((r) => (r.time - start) / 1000)
		.sort((x, y) => x - y);
}

function summarise(
	emulator: Emulator,
	scenario: Scenario,
	approach: Approach,
	items: number,
	start: number,
	failedItems: number,
): Measurement {
	const seconds = (Date.now() - start) / 1000;
	const measurement: Measurement = {
		scenario: scenario.name,
		approach,
		items,
		seconds: round(seconds),
		itemsPerSecond: round((items - failedItems) / seconds),
		httpRequests: emulator.requests.filter((r) => !r.inBatch).length,
		throttled429: emulator.requests.filter((r) => r.status === 429).length,
		failedItems,
		completions: completionTimes(emulator, start),
	};
	const limit = throttleLimitSeconds(items, scenario.windowMs);
	if (scenario.throttled && approach.startsWith('a') && limit > 0) {
		measurement.ratioToThrottleLimit = round(seconds / limit);
	}
	return measurement;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

async function runNode(
	harness: IntuneHarness,
	emulator: Emulator,
	clientId: string,
	clientSecret: string,
	scenario: Scenario,
	count: number,
) {
	configure(emulator, scenario);
	const app = { clientId, clientSecret };
	const credential = oauthCredential(emulator, app, emulator.issueUserTokens(clientId));
	const items = rows(emulator, count).map((row) => ({ ...row, status: 'remediated' }));
	const start = Date.now();
	const result = await harness.runNode({
		credential,
		items,
		onError: 'continueRegularOutput',
		parameters: updateParameters({
			lastReportedDateTime: '2026-11-28T12:00:00Z',
			options: {
				windowSeconds: scenario.windowMs / 1000,
				writesPerWindow: scenario.nodeWriteBudget,
			},
		}),
	});
	const failed = result.items.filter((item) => item.json.error !== undefined).length;
	return summarise(
		emulator,
		scenario,
		'a: this node',
		count,
		start,
		failed + (count - result.items.length),
	);
}

/** One PATCH with n8n's Retry On Fail: a fixed wait between tries, Retry-After ignored. */
async function patchWithRetryOnFail(url: string, token: string, waitMs: number): Promise<boolean> {
	for (let attempt = 1; attempt <= HTTP_REQUEST_NODE_TRIES; attempt++) {
		const response = await fetch(url, {
			method: 'PATCH',
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			body: JSON.stringify({ status: 'remediated', lastReportedDateTime: '2026-11-28T12:00:00Z' }),
		});
		await response.arrayBuffer();
		if (response.ok) return true;
		if (attempt < HTTP_REQUEST_NODE_TRIES) await sleep(waitMs);
	}
	return false;
}

async function runPerItem(
	emulator: Emulator,
	clientId: string,
	scenario: Scenario,
	count: number,
	approach: Approach,
) {
	configure(emulator, scenario);
	const token = emulator.issueUserTokens(clientId).access_token;
	const waitMs = (HTTP_REQUEST_NODE_WAIT_MS * scenario.windowMs) / 20000;
	const urls = rows(emulator, count).map(
		(row) =>
			`${emulator.httpUrl}/beta/deviceManagement/deviceCompliancePolicies/${row.policyId}/userStatuses/${row.userStatusId}`,
	);
	const start = Date.now();
	let failed = 0;
	if (approach === 'b: all at once') {
		const outcomes = await Promise.all(
			urls.map(async (url) => await patchWithRetryOnFail(url, token, waitMs)),
		);
		failed = outcomes.filter((ok) => !ok).length;
	} else {
		for (const url of urls) if (!(await patchWithRetryOnFail(url, token, waitMs))) failed++;
	}
	return summarise(emulator, scenario, approach, count, start, failed);
}

function table(measurements: Measurement[]): string {
	const header = [
		'scenario',
		'approach',
		'items',
		'seconds',
		'items/s',
		'HTTP requests',
		'429s',
		'failed',
		'x limit',
	];
	const lines = measurements.map((m) => [
		m.scenario,
		m.approach,
		String(m.items),
		m.seconds.toFixed(2),
		m.itemsPerSecond.toFixed(1),
		String(m.httpRequests),
		String(m.throttled429),
		String(m.failedItems),
		m.ratioToThrottleLimit === undefined ? '' : m.ratioToThrottleLimit.toFixed(3),
	]);
	const widths = header.map((title, column) =>
		Math.max(title.length, ...lines.map((line) => line[column].length)),
	);
	const format = (cells: string[]) =>
		cells.map((cell, column) => cell.padEnd(widths[column])).join('  ');
	return [
		format(header),
		format(widths.map((width) => '-'.repeat(width))),
		...lines.map(format),
	].join('\n');
}

/** Items completed over time for (a), (b), (c) against the throttle-limit line, as a small SVG. */
function chart(measurements: Measurement[], items: number, windowMs: number): string {
	const width = 760;
	const height = 420;
	const margin = { left: 60, right: 20, top: 40, bottom: 50 };
	const horizon =
		Math.max(...measurements.map((m) => m.seconds), throttleLimitSeconds(items, windowMs)) * 1.05 ||
		1;
	const x = (seconds: number) =>
		margin.left + (seconds / horizon) * (width - margin.left - margin.right);
	const y = (count: number) =>
		height - margin.bottom - (count / items) * (height - margin.top - margin.bottom);
	const colours: Record<string, string> = { a: '#0078d4', b: '#d13438', c: '#8a8886' };
	const lines = measurements.map((m) => {
		const points = [
			`${x(0)},${y(0)}`,
			...m.completions.map((t, index) => `${x(t).toFixed(1)},${y(index + 1).toFixed(1)}`),
		];
		points.push(`${x(m.seconds).toFixed(1)},${y(m.completions.length).toFixed(1)}`);
		return `<polyline fill="none" stroke="${colours[m.approach[0]]}" stroke-width="2" points="${points.join(' ')}"/>`;
	});
	const rate = WRITES_PER_WINDOW / (windowMs / 1000);
	const limitEnd = throttleLimitSeconds(items, windowMs);
	const limit = `<polyline fill="none" stroke="#107c10" stroke-width="1.5" stroke-dasharray="6 4" points="${x(0)},${y(Math.min(items, WRITES_PER_WINDOW))} ${x(limitEnd)},${y(items)} ${x(horizon)},${y(items)}"/>`;
	const ticks = [0, 0.25, 0.5, 0.75, 1].map(
		(share) =>
			`<text x="${x(horizon * share)}" y="${height - margin.bottom + 18}" font-size="11" text-anchor="middle">${(horizon * share).toFixed(1)} s</text>` +
			`<text x="${margin.left - 6}" y="${y(items * share) + 4}" font-size="11" text-anchor="end">${Math.round(items * share)}</text>`,
	);
	const legend = [
		...measurements.map((m, index) => ({
			label: `${m.approach} (${m.items - m.failedItems} done, ${m.failedItems} failed)`,
			colour: colours[m.approach[0]],
			index,
		})),
		{
			label: `throttle limit (${WRITES_PER_WINDOW} at once, then ${rate.toFixed(0)}/s)`,
			colour: '#107c10',
			index: measurements.length,
		},
	].map(
		({ label, colour, index }) =>
			`<rect x="${margin.left + 10}" y="${margin.top + 8 + index * 16}" width="12" height="3" fill="${colour}"/>` +
			`<text x="${margin.left + 28}" y="${margin.top + 12 + index * 16}" font-size="12">${label}</text>`,
	);
	return [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
		`<rect width="100%" height="100%" fill="#ffffff"/>`,
		`<text x="${width / 2}" y="22" font-size="14" text-anchor="middle">${items} updates under Intune throttling (window scaled to ${windowMs / 1000} s): items completed over time</text>`,
		`<line x1="${margin.left}" y1="${height - margin.bottom}" x2="${width - margin.right}" y2="${height - margin.bottom}" stroke="#333"/>`,
		`<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${height - margin.bottom}" stroke="#333"/>`,
		...ticks,
		limit,
		...lines,
		...legend,
		`<text x="${width / 2}" y="${height - 10}" font-size="12" text-anchor="middle">seconds since start</text>`,
		'</svg>',
	].join('\n');
}

/** Heap the node keeps per item during a run: measured after GC, with n8n's engine included. */
async function heapPerItem(
	harness: IntuneHarness,
	emulator: Emulator,
	clientId: string,
	clientSecret: string,
	count: number,
	latencyMs: number,
): Promise<number | undefined> {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (!gc) return undefined;
	const scenario: Scenario = {
		name: 'memory',
		throttled: false,
		latencyMs,
		windowMs: 20000,
		nodeWriteBudget: 1e6,
	};
	gc();
	const before = process.memoryUsage().heapUsed;
	let peak = before;
	const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
	await runNode(harness, emulator, clientId, clientSecret, scenario, count);
	clearInterval(timer);
	return Math.round((peak - before) / count);
}

async function main() {
	const options = parseOptions(process.argv.slice(2));
	const largest = Math.max(...options.sizes, 5000);
	const emulator = await startEmulator({ seed: { policies: 1, statusesPerPolicy: largest } });
	const clientId = 'bench-client';
	const clientSecret = 'bench-secret';
	emulator.registerApp({ clientId, clientSecret });
	const harness = new IntuneHarness();
	const measurements: Measurement[] = [];
	const report = (m: Measurement) => {
		measurements.push(m);
		console.log(
			`${m.scenario} ${m.approach} N=${m.items}: ${m.seconds.toFixed(2)} s, ${m.httpRequests} requests, ${m.throttled429} x 429, ${m.failedItems} failed` +
				(m.ratioToThrottleLimit ? `, ${m.ratioToThrottleLimit.toFixed(3)} x limit` : ''),
		);
	};

	try {
		const throttled: Scenario = {
			name: 'throttled',
			throttled: true,
			latencyMs: options.latencyMs,
			windowMs: options.windowMs,
			nodeWriteBudget: WRITES_PER_WINDOW,
		};
		for (const count of options.sizes) {
			report(await runNode(harness, emulator, clientId, clientSecret, throttled, count));
			// Let the emulator's window drain between runs so each starts with a full budget.
			await sleep(options.windowMs);
			report(await runPerItem(emulator, clientId, throttled, count, 'b: all at once'));
			await sleep(options.windowMs);
			report(await runPerItem(emulator, clientId, throttled, count, 'c: in sequence'));
			await sleep(options.windowMs);
		}
		if (options.unthrottled) {
			const open: Scenario = {
				name: 'unthrottled 50ms',
				throttled: false,
				latencyMs: 50,
				windowMs: options.windowMs,
				nodeWriteBudget: 1e6,
			};
			report(await runNode(harness, emulator, clientId, clientSecret, open, 5000));
			report(await runPerItem(emulator, clientId, open, 5000, 'b: all at once'));
			report(await runPerItem(emulator, clientId, open, 5000, 'c: in sequence'));
		}
		const at1000 = await heapPerItem(harness, emulator, clientId, clientSecret, 1000, 0);
		const at5000 = await heapPerItem(harness, emulator, clientId, clientSecret, 5000, 0);
		const memory = {
			bytesPerItemAt1000: at1000,
			bytesPerItemAt5000: at5000,
			// What each item beyond the first 1000 adds: flat overhead per item keeps this small and steady.
			marginalBytesPerItem:
				at1000 === undefined || at5000 === undefined
					? undefined
					: Math.round((at5000 * 5000 - at1000 * 1000) / 4000),
		};

		console.log(`\n${table(measurements)}\n`);
		const open = measurements.filter((m) => m.scenario.startsWith('unthrottled'));
		if (open.length === 3) {
			const [a, b, c] = open;
			console.log(
				`unthrottled, 5000 items: (a) sends ${(b.httpRequests / a.httpRequests).toFixed(1)} x fewer HTTP requests than one per item, and has ${(a.itemsPerSecond / c.itemsPerSecond).toFixed(1)} x the throughput of one request per item in sequence`,
			);
		}
		const throttledA = measurements.filter(
			(m) => m.scenario === 'throttled' && m.approach.startsWith('a'),
		);
		const requests = throttledA.reduce((sum, m) => sum + m.httpRequests, 0);
		const refused = throttledA.reduce((sum, m) => sum + m.throttled429, 0);
		console.log(
			`throttled, (a): ${refused} of ${requests} HTTP requests' items answered 429; worst ratio to the throttle limit ${Math.max(...throttledA.map((m) => m.ratioToThrottleLimit ?? 0)).toFixed(3)}`,
		);
		if (memory.bytesPerItemAt1000 !== undefined) {
			console.log(
				`memory, (a): ${memory.bytesPerItemAt1000} bytes per item at 1000 items, ${memory.bytesPerItemAt5000} at 5000, ${memory.marginalBytesPerItem} per item from 1000 to 5000 (peak heap over the run, n8n's engine included)`,
			);
		} else {
			console.log('memory: run with --expose-gc (npm run bench does) to measure heap per item');
		}

		mkdirSync(options.out, { recursive: true });
		const jsonPath = path.join(options.out, 'bench.json');
		writeFileSync(
			jsonPath,
			JSON.stringify(
				{ options, memory, measurements: measurements.map(({ completions: _c, ...m }) => m) },
				null,
				2,
			),
		);
		const pictured = Math.max(...options.sizes.filter((size) => size <= 1000), options.sizes[0]);
		const svgPath = path.join(options.out, `throttled-${pictured}.svg`);
		writeFileSync(
			svgPath,
			chart(
				measurements.filter((m) => m.scenario === 'throttled' && m.items === pictured),
				pictured,
				options.windowMs,
			),
		);
		console.log(`wrote ${jsonPath} and ${svgPath}`);
	} finally {
		await emulator.close();
		await IntuneHarness.close();
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
