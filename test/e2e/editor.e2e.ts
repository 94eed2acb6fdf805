/**
 * `npm start` as a newcomer uses it, checked in headless Chromium: the start script brings up n8n with the
 * sandbox, the owner signs in, the Microsoft Intune node is in the node panel, the example workflow runs from
 * the editor and its output shows the updated statuses, and the pickers list the sandbox's policies and a
 * policy's user statuses (searchable) and what is picked runs, and Settings → Community Nodes lists the package
 * as if it had been installed there, also after a restart. Screenshots go to .tmp/e2e/.
 *
 * Needs Debian's chromium (/usr/bin/chromium, or E2E_CHROMIUM=<path>); `.ci/run` installs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, selectors, type Browser, type Page } from 'playwright-core';
import { PACKAGE_NAME } from '../../scripts/lib.ts';
import { SANDBOX_OWNER } from '../../scripts/n8n.ts';
import { ARTIFACTS, freePort, REPO } from './stack';

const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run',
	'--disable-dev-shm-usage',
];

let work: string | undefined;
let userFolder: string;
let start: ChildProcess | undefined;
let startOutput = '';
let ports: { port: number; runnerPort: number; sandboxPort: number; sandboxHttpsPort: number };
let baseUrl: string;
let sandboxHttpUrl: string;
let browser: Browser | undefined;
let page: Page;

const PACKAGE_VERSION = (
	JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }
).version;

/**
 * Runs scripts/start.ts (what `npm start` runs) with the user folder and ports of this suite, until it says n8n
 * is ready; returns what it printed.
 */
async function runStartScript(): Promise<string> {
	baseUrl = `http://localhost:${ports.port}`;
	sandboxHttpUrl = `http://127.0.0.1:${ports.sandboxPort}`;
	const args = [
		path.join(REPO, 'scripts', 'start.ts'),
		'--skip-build',
		`--user-folder=${userFolder}`,
		`--port=${ports.port}`,
		`--runner-port=${ports.runnerPort}`,
		`--sandbox-port=${ports.sandboxPort}`,
		`--sandbox-https-port=${ports.sandboxHttpsPort}`,
	];
	const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
	start = child;
	let output = '';
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(
			() => reject(new Error(`npm start did not get ready in 15 minutes:\n${output}`)),
			15 * 60_000,
		);
		const onData = (chunk: Buffer) => {
			output += chunk.toString();
			if (output.includes('n8n is ready:')) {
				clearTimeout(timer);
				resolve();
			}
		};
		child.stdout!.on('data', onData);
		child.stderr!.on('data', onData);
		child.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`npm start exited (${code}) before n8n was ready:\n${output}`));
		});
	});
	return output;
}

/** Ctrl-C, as a user stops it: the script stops n8n and the sandbox. */
async function stopStartScript(): Promise<void> {
	const child = start;
	if (!child || child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise((resolve) => child.once('exit', resolve));
	child.kill('SIGINT');
	let timer: NodeJS.Timeout | undefined;
	await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))]);
	clearTimeout(timer);
	if (child.exitCode === null && child.signalCode === null) {
		child.kill('SIGKILL');
		await exited;
	}
}

beforeAll(async () => {
	if (!existsSync(CHROMIUM))
		throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (or set E2E_CHROMIUM)`);
	if (!existsSync(path.join(REPO, 'dist', 'nodes', 'MicrosoftIntune', 'MicrosoftIntune.node.js'))) {
		throw new Error('dist/ is missing: run `npm run build` first (`npm run test:e2e` does)');
	}
	// start.ts itself installs n8n if needed, packs the package and installs it into this fresh user folder.
	work = mkdtempSync(path.join(tmpdir(), 'intune-e2e-editor-'));
	userFolder = path.join(work, 'n8n-user');
	const [port, runnerPort, sandboxPort, sandboxHttpsPort] = await Promise.all([
		freePort(),
		freePort(),
		freePort(),
		freePort(),
	]);
	ports = { port, runnerPort, sandboxPort, sandboxHttpsPort };
	startOutput = await runStartScript();
	selectors.setTestIdAttribute('data-test-id');
	browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
	page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
	page.setDefaultTimeout(60_000);
}, 20 * 60_000);

afterAll(async () => {
	await browser?.close();
	await stopStartScript();
	if (work && process.env.E2E_KEEP !== '1') rmSync(work, { recursive: true, force: true });
}, 60_000);

test('npm start prints where n8n is, how to sign in, and the sandbox credential values', () => {
	expect(startOutput).toContain(`n8n is ready: ${baseUrl}`);
	expect(startOutput).toContain(SANDBOX_OWNER.email);
	expect(startOutput).toContain('/workflow/intuneTicketOAuth');
	expect(startOutput).toMatch(/Client Secret:\s+\S+/);
	expect(startOutput).toMatch(/\(7\/7\) starting n8n/);
});

test('the owner signs in without any setup form', async () => {
	await signIn();
	expect(new URL(page.url()).pathname).not.toContain('setup');
});

test('the Microsoft Intune node is in the node panel', async () => {
	await page.goto(`${baseUrl}/workflow/intuneTicketOAuth`);
	await page.getByTestId('canvas-node').filter({ hasText: 'Mark remediated' }).waitFor();
	await page.getByTestId('node-creator-plus-button').click();
	await page.getByTestId('node-creator-search-bar').waitFor();
	await page.keyboard.type('Intune');
	const item = page.getByTestId('node-creator-item-name').filter({ hasText: 'Microsoft Intune' });
	await item.waitFor();
	await page.screenshot({ path: path.join(ARTIFACTS, 'editor-node-panel.png') });
	expect(await item.count()).toBe(1);
	await page.keyboard.press('Escape');
});

test('the example workflow runs from the editor and the output shows the updated statuses', async () => {
	await page.goto(`${baseUrl}/workflow/intuneTicketOAuth`);
	await page.getByTestId('canvas-node').filter({ hasText: 'Report to ticket' }).waitFor();
	await page.getByTestId('execute-workflow-button').click();
	// Every node of the chain ends green.
	await page
		.getByTestId('canvas-node')
		.filter({ hasText: 'Report to ticket' })
		.getByTestId('canvas-node-status-success')
		.waitFor({ timeout: 120_000 });
	await page.screenshot({ path: path.join(ARTIFACTS, 'editor-workflow-executed.png') });

	await page.getByTestId('canvas-node').filter({ hasText: 'Mark remediated' }).dblclick();
	const output = page.getByTestId('output-panel');
	await output.waitFor();
	await expectText(output.getByTestId('ndv-items-count'), /20 items/);
	await expectText(output, /remediated/);
	expect(await output.textContent()).not.toMatch(/nonCompliant/);
	await page.screenshot({ path: path.join(ARTIFACTS, 'editor-run-output.png') });

	// And the sandbox holds what the editor showed.
	const data = (await (await fetch(`${sandboxHttpUrl}/_emulator/data`)).json()) as {
		userStatuses: Record<string, Array<{ status: string }>>;
	};
	const baseline = data.userStatuses['6681ac56-54b7-46f4-9556-271ec42e692a'];
	expect(baseline.filter((s) => s.status === 'nonCompliant')).toHaveLength(0);
	expect(baseline.filter((s) => s.status === 'remediated').length).toBeGreaterThanOrEqual(20);
});

test("the pickers list the sandbox's policies and the chosen policy's user statuses, search them, and the picked row runs", async () => {
	type Status = { id: string; userDisplayName: string; userPrincipalName: string; status: string };
	const data = (await (await fetch(`${sandboxHttpUrl}/_emulator/data`)).json()) as {
		policies: Array<{ id: string; displayName: string }>;
		userStatuses: Record<string, Status[]>;
	};
	const policyNames = data.policies.map((p) => p.displayName);
	expect(policyNames).toEqual([
		'Windows 10 Security Baseline',
		'BitLocker Encryption Required',
		'Defender Antivirus Minimum',
	]);
	const requestsBefore = await sandboxRequestCount();

	// The tour example's "Read a user's row" has both fields From List, with Windows 10 Security Baseline picked.
	// A larger window, so the screenshots show whole labels and the output beside them.
	await page.setViewportSize({ width: 1920, height: 1080 });
	await page.goto(`${baseUrl}/workflow/intunePolicyTour`);
	const node = page.getByTestId('canvas-node').filter({ hasText: "Read a user's row" });
	await node.waitFor();
	await node.dblclick();
	const policyField = page.getByTestId('parameter-input-policyId');
	const statusField = page.getByTestId('parameter-input-userStatusId');
	await policyField.waitFor();
	await widenParameterPanel(policyField, 220);
	await expectValue(policyField.getByTestId('rlc-mode-selector').locator('input'), 'From list');
	await expectValue(statusField.getByTestId('rlc-mode-selector').locator('input'), 'From list');
	expect(await policyField.getByTestId('rlc-input').inputValue()).toBe(
		'Windows 10 Security Baseline',
	);

	// Compliance Policy, From List: every policy of the sandbox, by name, as Graph lists them.
	await policyField.getByTestId('rlc-input').click();
	// n8n keeps the picked item at the top of the list, whatever the search.
	await expectItems(withPicked('Windows 10 Security Baseline', policyNames));
	await page.screenshot({ path: path.join(ARTIFACTS, 'editor-picker-policies.png') });
	const listed = (await sandboxRequests(requestsBefore)).filter(
		(r) => r.method === 'GET' && /\/deviceCompliancePolicies\?/.test(r.path),
	);
	expect(listed.length).toBeGreaterThanOrEqual(1);
	expect(listed.every((r) => r.status === 200)).toBe(true);

	// Typing searches: only the names that hold the text stay.
	await page.getByTestId('rlc-search').filter({ visible: true }).fill('bit');
	await expectItems(withPicked('Windows 10 Security Baseline', ['BitLocker Encryption Required']));
	await page.screenshot({ path: path.join(ARTIFACTS, 'editor-picker-policies-search.png') });
	await page.getByTestId('rlc-item').filter({ hasText: 'BitLocker Encryption Required' }).click();
	await expectValue(policyField.getByTestId('rlc-input'), 'BitLocker Encryption Required');

	// User Status, From List: the BitLocker policy's rows as "<display name> (<UPN>) · <status>".
	const label = (s: Status) => `${s.userDisplayName} (${s.userPrincipalName}) · ${s.status}`;
	const rows = data.userStatuses[data.policies[1].id];
	expect(rows).toHaveLength(100);
	// The row picked under the previous policy is still selected (the node does not reset User Status when
	// the policy changes), and n8n keeps it at the top of the list.
	const stale = await statusField.getByTestId('rlc-input').inputValue();
	await statusField.getByTestId('rlc-input').click();
	await expectItems(withPicked(stale, rows.map(label)));
	await page.screenshot({ path: path.join(ARTIFACTS, 'editor-picker-user-statuses.png') });
	const statusLists = (await sandboxRequests(requestsBefore)).filter(
		(r) => r.method === 'GET' && /\/userStatuses\?/.test(r.path),
	);
	expect(statusLists.length).toBeGreaterThanOrEqual(1);
	for (const r of statusLists) {
		expect(r.path.split('?')[0]).toBe(
			`/beta/deviceManagement/deviceCompliancePolicies/${data.policies[1].id}/userStatuses`,
		);
		expect(r.status).toBe(200);
	}
	expect(rows.map(label).slice(0, 3)).toEqual([
		'Adele Vance (adele.vance@contoso.onmicrosoft.com) · nonCompliant',
		'Alex Vance (alex.vance@contoso.onmicrosoft.com) · compliant',
		'Diego Vance (diego.vance@contoso.onmicrosoft.com) · unknown',
	]);

	// Searching by UPN, and picking one.
	await page.getByTestId('rlc-search').filter({ visible: true }).fill('megan.b');
	const megan = rows.find((s) => s.userPrincipalName === 'megan.bowen@contoso.onmicrosoft.com')!;
	await expectItems(withPicked(stale, [label(megan)]));
	await page.screenshot({ path: path.join(ARTIFACTS, 'editor-picker-user-statuses-search.png') });
	await page.getByTestId('rlc-item').filter({ hasText: 'megan.bowen@' }).click();
	await expectValue(statusField.getByTestId('rlc-input'), label(megan));

	// What was picked is what runs: the step reads exactly that row.
	await page.getByTestId('node-execute-button').filter({ visible: true }).first().click();
	const output = page.getByTestId('output-panel');
	await expectText(output.getByTestId('ndv-items-count'), /1 item/);
	await output.getByText('JSON', { exact: true }).click();
	for (const value of [megan.id, megan.userPrincipalName, megan.status])
		await expectText(output, new RegExp(`"${value.replace(/[.]/g, '\\.')}"`));
	await page.screenshot({ path: path.join(ARTIFACTS, 'editor-picker-executed.png') });
	const reads = (await sandboxRequests(requestsBefore)).filter(
		(r) => r.method === 'GET' && r.path.includes(`/userStatuses/${megan.id}`),
	);
	expect(reads.map((r) => [r.path.split('?')[0], r.status])).toEqual([
		[
			`/beta/deviceManagement/deviceCompliancePolicies/${data.policies[1].id}/userStatuses/${megan.id}`,
			200,
		],
	]);
});

test('Settings → Community Nodes lists the package with its version and its node, without the network', async () => {
	// Only n8n itself may answer: the page must list the package from n8n's record alone. (The page also asks
	// api.npms.io how many community packages exist; that request is refused here.)
	await page.route(
		(url) => !['localhost', '127.0.0.1'].includes(url.hostname),
		(route) => route.abort(),
	);
	try {
		await page.setViewportSize({ width: 1440, height: 900 });
		const { listed, ms } = await openCommunityNodes();
		expect(listed).toEqual([
			expect.objectContaining({
				packageName: PACKAGE_NAME,
				installedVersion: PACKAGE_VERSION,
				failedLoading: false,
				installedNodes: [
					{ name: 'Microsoft Intune', type: `${PACKAGE_NAME}.microsoftIntune`, latestVersion: 1 },
				],
			}),
		]);
		// n8n asks `npm outdated` for updates of what it lists; had it looked the unpublished package up in a
		// registry it cannot reach, npm's retries would have kept the page waiting for about 70 s.
		expect(ms).toBeLessThan(20_000);
		await page.screenshot({ path: path.join(ARTIFACTS, 'settings-community-nodes.png') });
	} finally {
		await page.unrouteAll({ behavior: 'ignoreErrors' });
	}

	// n8n's own log: the record was written at start by n8n's service, and nothing was reinstalled.
	const log = readFileSync(n8nLogFile(), 'utf8');
	expect(log).toMatch(
		new RegExp(
			`Settings → Community Nodes: recorded ${PACKAGE_NAME}@${PACKAGE_VERSION.replace(/\./g, '\\.')} with 1 node`,
		),
	);
	expect(log).not.toMatch(PACKAGE_TROUBLE);
});

test('after a restart (npm start again) the package is still listed: n8n neither reinstalls nor removes it', async () => {
	const offset = statSync(n8nLogFile()).size;
	await stopStartScript();
	const output = await runStartScript();
	expect(output).toContain(`n8n is ready: ${baseUrl}`);
	const log = readFileSync(n8nLogFile()).subarray(offset).toString('utf8');
	expect(log).toContain(
		`Settings → Community Nodes: ${PACKAGE_NAME}@${PACKAGE_VERSION} already recorded`,
	);
	expect(log).not.toMatch(PACKAGE_TROUBLE);

	// npm start sets the owner's password hash afresh at every start, which ends earlier sessions.
	await signIn();
	const { listed } = await openCommunityNodes();
	expect(listed.map((p) => [p.packageName, p.installedVersion, p.failedLoading])).toEqual([
		[PACKAGE_NAME, PACKAGE_VERSION, false],
	]);
	await page.screenshot({
		path: path.join(ARTIFACTS, 'settings-community-nodes-after-restart.png'),
	});
});

/** What n8n logs when it finds a recorded package missing, reinstalls, updates or removes one. */
const PACKAGE_TROUBLE =
	/packages are missing|reinstall missing packages|Failed to reinstall|Community package (un)?installed|Removed community package|could not record/i;

function n8nLogFile(): string {
	return path.join(userFolder, 'work', 'n8n.log');
}

type ListedPackage = {
	packageName: string;
	installedVersion: string;
	failedLoading: boolean;
	installedNodes: Array<{ name: string; type: string; latestVersion: number }>;
};

/** Signs in as the sandbox owner, as a user does on the sign-in page. */
async function signIn(): Promise<void> {
	await page.goto(`${baseUrl}/signin`);
	await page.fill('input[name=emailOrLdapLoginId]', SANDBOX_OWNER.email);
	await page.fill('input[name=password]', SANDBOX_OWNER.password);
	await page.getByTestId('form-submit-button').click();
	await page.waitForURL((url) => !url.pathname.includes('signin'));
}

/**
 * Opens Settings, clicks Community nodes, waits for the package's card and checks it shows the name, the
 * version and the node; returns what the page got from n8n and how long n8n took to answer.
 */
async function openCommunityNodes(): Promise<{ listed: ListedPackage[]; ms: number }> {
	await page.goto(`${baseUrl}/settings`);
	const answered = page.waitForResponse(
		(r) =>
			new URL(r.url()).pathname === '/rest/community-packages' && r.request().method() === 'GET',
		{ timeout: 120_000 },
	);
	const clicked = Date.now();
	await page.getByTestId('settings-community-nodes').click();
	const response = await answered;
	const ms = Date.now() - clicked;
	expect(response.status()).toBe(200);
	const listed = ((await response.json()) as { data: ListedPackage[] }).data;
	await page.waitForURL((url) => url.pathname === '/settings/community-nodes');

	const card = page.getByTestId('community-package-card').filter({ hasText: PACKAGE_NAME });
	await card.waitFor();
	// Loading placeholders share the test id, empty; once the list is shown there is one card, ours.
	expect(await page.getByTestId('community-package-card').filter({ hasText: /\S/ }).count()).toBe(
		1,
	);
	const text = (await card.innerText()).replace(/\s+/g, ' ');
	expect(text).toContain(PACKAGE_NAME);
	expect(text).toContain(`v${PACKAGE_VERSION}`);
	expect(text).toMatch(/1 node:?\s*Microsoft Intune/);
	return { listed, ms };
}

/**
 * Drags the right edge of the node view's parameter panel `by` pixels to the right, as a user can, so the
 * screenshots show whole labels in the fields. Cosmetic: the picker's own dropdown keeps n8n's fixed width.
 */
async function widenParameterPanel(inside: ReturnType<Page['locator']>, by: number): Promise<void> {
	const edge = inside.locator(
		'xpath=ancestor::div[./div[@data-test-id="resize-handle" and @data-dir="right"]][1]/div[@data-test-id="resize-handle" and @data-dir="right"]',
	);
	const box = await edge.boundingBox();
	if (!box) return;
	const y = box.y + box.height / 2;
	await page.mouse.move(box.x + box.width / 2, y);
	await page.mouse.down();
	await page.mouse.move(box.x + by, y, { steps: 20 });
	await page.mouse.up();
}

type LoggedRequest = { method: string; path: string; status: number };

async function sandboxRequestCount(): Promise<number> {
	return ((await (await fetch(`${sandboxHttpUrl}/_emulator/requests`)).json()) as { next: number })
		.next;
}

async function sandboxRequests(since: number): Promise<LoggedRequest[]> {
	const response = await fetch(`${sandboxHttpUrl}/_emulator/requests?since=${since}`);
	return ((await response.json()) as { requests: LoggedRequest[] }).requests.map((r) => ({
		...r,
		path: decodeURIComponent(r.path),
	}));
}

/** A list as n8n's resource locator shows it: the item already picked first, then the results without it. */
function withPicked(picked: string, results: string[]): string[] {
	return picked ? [picked, ...results.filter((name) => name !== picked)] : results;
}

/** Waits until the open picker shows exactly these items (they load, then a search narrows them). */
async function expectItems(expected: string[]): Promise<void> {
	const items = page.getByTestId('rlc-item').filter({ visible: true });
	const deadline = Date.now() + 30_000;
	let shown: string[] = [];
	while (Date.now() < deadline) {
		shown = (await items.allInnerTexts()).map((text) => text.trim());
		if (JSON.stringify(shown) === JSON.stringify(expected)) return;
		await new Promise((r) => setTimeout(r, 250));
	}
	expect(shown).toEqual(expected);
}

async function expectValue(locator: ReturnType<Page['locator']>, expected: string): Promise<void> {
	const deadline = Date.now() + 30_000;
	let value = '';
	while (Date.now() < deadline) {
		value = await locator.inputValue();
		if (value === expected) return;
		await new Promise((r) => setTimeout(r, 250));
	}
	expect(value).toBe(expected);
}

async function expectText(locator: ReturnType<Page['locator']>, pattern: RegExp): Promise<void> {
	const deadline = Date.now() + 30_000;
	let text = '';
	while (Date.now() < deadline) {
		text = (await locator.first().textContent()) ?? '';
		if (pattern.test(text)) return;
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`expected ${pattern} in: ${text.slice(0, 500)}`);
}
