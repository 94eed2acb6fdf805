/**
 * `npm start` as a newcomer uses it, checked in headless Chromium: the start script brings up n8n with the
 * sandbox, the owner signs in, the Microsoft Intune node is in the node panel, the example workflow runs from
 * the editor and its output shows the updated statuses. Screenshots go to .tmp/e2e/.
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
