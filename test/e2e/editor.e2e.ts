/**
 * `npm start` as a newcomer uses it, checked in headless Chromium: the start script brings up n8n with the
 * sandbox, the owner signs in, the Microsoft Intune node is in the node panel, the example workflow runs from
 * the editor and its output shows the updated statuses, and the pickers list the sandbox's policies and a
 * policy's user statuses (searchable) and what is picked runs. Screenshots go to .tmp/e2e/.
 *
 * Needs Debian's chromium (/usr/bin/chromium, or E2E_CHROMIUM=<path>); `.ci/run` installs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, selectors, type Browser, type Page } from 'playwright-core';
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
let start: ChildProcess | undefined;
let startOutput = '';
let baseUrl: string;
let sandboxHttpUrl: string;
let browser: Browser | undefined;
let page: Page;

/** Runs scripts/start.ts (what `npm start` runs) on free ports with a fresh user folder, until it says n8n is ready. */
async function runStartScript(userFolder: string): Promise<void> {
	const [port, runnerPort, sandboxPort, sandboxHttpsPort] = await Promise.all([
		freePort(),
		freePort(),
		freePort(),
		freePort(),
	]);
	baseUrl = `http://localhost:${port}`;
	sandboxHttpUrl = `http://127.0.0.1:${sandboxPort}`;
	const args = [
		path.join(REPO, 'scripts', 'start.ts'),
		'--skip-build',
		`--user-folder=${userFolder}`,
		`--port=${port}`,
		`--runner-port=${runnerPort}`,
		`--sandbox-port=${sandboxPort}`,
		`--sandbox-https-port=${sandboxHttpsPort}`,
	];
	start = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(
			() => reject(new Error(`npm start did not get ready in 15 minutes:\n${startOutput}`)),
			15 * 60_000,
		);
		const onData = (chunk: Buffer) => {
			startOutput += chunk.toString();
			if (startOutput.includes('n8n is ready:')) {
				clearTimeout(timer);
				resolve();
			}
		};
		start!.stdout!.on('data', onData);
		start!.stderr!.on('data', onData);
		start!.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`npm start exited (${code}) before n8n was ready:\n${startOutput}`));
		});
	});
}

beforeAll(async () => {
	if (!existsSync(CHROMIUM))
		throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (or set E2E_CHROMIUM)`);
	if (!existsSync(path.join(REPO, 'dist', 'nodes', 'MicrosoftIntune', 'MicrosoftIntune.node.js'))) {
		throw new Error('dist/ is missing: run `npm run build` first (`npm run test:e2e` does)');
	}
	// start.ts itself installs n8n if needed, packs the package and installs it into this fresh user folder.
	work = mkdtempSync(path.join(tmpdir(), 'intune-e2e-editor-'));
	await runStartScript(path.join(work, 'n8n-user'));
	selectors.setTestIdAttribute('data-test-id');
	browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
	page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
	page.setDefaultTimeout(60_000);
}, 20 * 60_000);

afterAll(async () => {
	await browser?.close();
	if (start && start.exitCode === null) {
		// Ctrl-C, as a user stops it: the script stops n8n and the sandbox.
		const exited = new Promise((resolve) => start!.once('exit', resolve));
		start.kill('SIGINT');
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))]);
		clearTimeout(timer);
		if (start.exitCode === null) start.kill('SIGKILL');
	}
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
	await page.goto(`${baseUrl}/signin`);
	await page.fill('input[name=emailOrLdapLoginId]', SANDBOX_OWNER.email);
	await page.fill('input[name=password]', SANDBOX_OWNER.password);
	await page.getByTestId('form-submit-button').click();
	await page.waitForURL((url) => !url.pathname.includes('signin'));
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
