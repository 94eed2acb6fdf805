/**
 * Every example workflow, run headless in a real n8n 2.41 with `n8n execute`, against the sandbox tenant,
 * with assertions on the workflow's output and on the sandbox's state and request log:
 * updates answered 200 and 204, both credential types (the service principal over HTTPS with a test CA, by
 * secret and by certificate), an access token expiring in the middle of a run, a 429 storm, bad input
 * with continue-on-fail, and the tour of every other operation (policies listed over several pages and read
 * by ID and by admin center URL, a row read through the pickers' values, created, read, deleted, and deleted
 * again with Already Gone Is Fine).
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LoggedRequest, Policy, UserStatus } from '../emulator/index.ts';
import {
	executeWorkflow,
	importCredentials,
	importWorkflowFolder,
	logProblems,
	n8nCliOk,
	n8nEnv,
	nodeOutput,
	type ExecutionRun,
} from '../../scripts/n8n.ts';
import { CREDENTIAL_IDS, startSandbox, type Sandbox } from '../../scripts/sandbox.ts';
import { ARTIFACTS, freePort, prepareN8n, REPO, type PreparedN8n } from './stack';

const POLICY = {
	baseline: '6681ac56-54b7-46f4-9556-271ec42e692a',
	bitlocker: '295239ad-b677-4fcf-9ea9-9a0535e316d8',
	defender: '57108050-24c7-474b-add6-4f582b655af7',
};
const STATUS_ID = /\/userStatuses\/([0-9a-f-]{36})/;

let prepared: PreparedN8n;
let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;
let runCount = 0;

type Example = {
	id: string;
	name: string;
	nodes: Array<{ name: string; parameters: Record<string, unknown> }>;
};

function readExample(file: string): Example {
	return JSON.parse(readFileSync(path.join(REPO, 'examples', file), 'utf8')) as Example;
}

/** A copy of an example whose update node sends one request per item (no $batch), so a token can expire between two of them. */
function oneRequestPerItem(file: string, id: string): Example {
	const workflow = readExample(file);
	workflow.id = id;
	workflow.name = `${workflow.name} [e2e: one request per item]`;
	const update = workflow.nodes.find((node) => node.parameters.operation === 'update')!;
	update.parameters.options = { batching: false, concurrency: 1 };
	return workflow;
}

beforeAll(async () => {
	prepared = await prepareN8n('workflows');
	sandbox = await startSandbox({
		dir: path.join(prepared.work, 'sandbox'),
		policies: 3,
		statusesPerPolicy: 100,
	});
	env = n8nEnv(prepared.inst, {
		userFolder: prepared.userFolder,
		caFile: sandbox.caFile,
		runnerBrokerPort: await freePort(),
	});
	sandbox.credentials();
	await importCredentials(prepared.inst, env, sandbox.credentialsFile);

	const workflows = path.join(prepared.work, 'workflows');
	mkdirSync(workflows, { recursive: true });
	for (const file of readdirSync(path.join(REPO, 'examples')).filter((f) => f.endsWith('.json'))) {
		cpSync(path.join(REPO, 'examples', file), path.join(workflows, file));
	}
	writeFileSync(
		path.join(workflows, 'e2e-expiry-oauth2.json'),
		JSON.stringify(oneRequestPerItem('ticket-remediation-oauth2.json', 'e2eExpiryOAuth2')),
	);
	writeFileSync(
		path.join(workflows, 'e2e-expiry-sp.json'),
		JSON.stringify(
			oneRequestPerItem('ticket-remediation-service-principal.json', 'e2eExpirySvcPr'),
		),
	);
	await importWorkflowFolder(prepared.inst, env, workflows);
}, 30 * 60_000);

afterAll(async () => {
	await sandbox?.close();
	prepared?.cleanup();
});

beforeEach(() => {
	// Seed data, request logs, faults, throttle windows and config back to the start; app and tokens stay.
	sandbox.emulator.reset();
});

/** Runs a workflow with `n8n execute` and returns its execution, failing with n8n's log when it did not succeed. */
async function execute(workflowId: string): Promise<ExecutionRun> {
	const logFile = path.join(prepared.work, `execute-${++runCount}-${workflowId}.log`);
	const result = await executeWorkflow(prepared.inst, env, workflowId, logFile);
	const error = result.run?.data.resultData.error;
	if (result.code !== 0 || !result.run || error) {
		writeFileSync(path.join(ARTIFACTS, path.basename(logFile)), result.log);
		throw new Error(
			`n8n execute --id=${workflowId} exited ${result.code}${error ? `: ${error.message}` : ''}\n` +
				`n8n's warnings and errors (full log in .tmp/e2e/${path.basename(logFile)}):\n${logProblems(result.log)}`,
		);
	}
	return result.run;
}

function statuses(policyId: string): UserStatus[] {
	return sandbox.emulator.data.userStatuses.get(policyId)!;
}

function snapshot(policyId: string): Map<string, UserStatus> {
	return new Map(statuses(policyId).map((s) => [s.id, { ...s }]));
}

function graphRequests(filter: (r: LoggedRequest) => boolean = () => true): LoggedRequest[] {
	return sandbox.emulator.requests.filter(filter);
}

const isPatch = (r: LoggedRequest) => r.method === 'PATCH';
const isReadBack = (r: LoggedRequest) => r.method === 'GET' && STATUS_ID.test(r.path.split('?')[0]);

/** The remediation examples: every non-compliant row of the policy is now remediated, reported now; nothing else changed. */
function expectPolicyRemediated(
	policyId: string,
	before: Map<string, UserStatus>,
	startedAt: number,
): string[] {
	const nonCompliant = [...before.values()]
		.filter((s) => s.status === 'nonCompliant')
		.map((s) => s.id);
	expect(nonCompliant.length).toBe(20);
	for (const status of statuses(policyId)) {
		const old = before.get(status.id)!;
		if (nonCompliant.includes(status.id)) {
			expect(status.status).toBe('remediated');
			expect(Date.parse(status.lastReportedDateTime)).toBeGreaterThanOrEqual(startedAt - 1000);
			expect({
				...status,
				status: old.status,
				lastReportedDateTime: old.lastReportedDateTime,
			}).toEqual(old);
		} else {
			expect(status).toEqual(old);
		}
	}
	return nonCompliant;
}

function expectReport(
	run: ExecutionRun,
	ticketId: string,
	policyId: string,
	expectedIds: string[],
) {
	const [report] = nodeOutput(run, 'Report to ticket');
	expect(report).toMatchObject({ ticketId, policyId, remediated: 20, failed: 0, errors: [] });
	const users = report.users as Array<{ user: string; status: string }>;
	expect(users).toHaveLength(20);
	expect(users.every((u) => u.status === 'remediated')).toBe(true);
	const updated = nodeOutput(run, 'Mark remediated');
	expect(updated.map((u) => u.id)).toEqual(expectedIds);
	expect(
		updated.every((u) => u.status === 'remediated' && typeof u.userPrincipalName === 'string'),
	).toBe(true);
}

/**
 * Runs a ticket-remediation example and checks what every one of them must do: exactly the policy's
 * non-compliant rows remediated (nothing else changed) and the report of the ticket.
 */
async function runRemediation(
	workflowId: string,
	policy: string,
	ticket: string,
	options: { expireTokensAtPatch?: number } = {},
) {
	const before = snapshot(policy);
	const startedAt = Date.now();
	const restore = options.expireTokensAtPatch
		? expireTokensAtPatch(options.expireTokensAtPatch)
		: undefined;
	let run: ExecutionRun;
	try {
		run = await execute(workflowId);
	} finally {
		restore?.();
	}
	const ids = expectPolicyRemediated(policy, before, startedAt);
	expectReport(run, ticket, policy, ids);
	return { run, ids };
}

describe('example: remediate a ticket (OAuth2 credential, plain HTTP)', () => {
	test('PATCH answered 200: the node outputs what Graph returned, no read-back', async () => {
		sandbox.emulator.configure({ patchStatus: 200 });
		await runRemediation('intuneTicketOAuth', POLICY.baseline, 'INC-1042');
		const patches = graphRequests(isPatch);
		expect(patches).toHaveLength(20);
		expect(patches.every((r) => r.status === 200 && r.inBatch)).toBe(true);
		expect(graphRequests(isReadBack)).toHaveLength(0);
		// Delegated tokens of the sandbox app, over HTTP as the credential says.
		expect(
			graphRequests().every(
				(r) => r.origin.startsWith('http://') && r.clientId === sandbox.clientId,
			),
		).toBe(true);
	});

	test("PATCH answered 204 (Intune's usual): each status is read back and output", async () => {
		sandbox.emulator.configure({ patchStatus: 204 });
		const { ids } = await runRemediation('intuneTicketOAuth', POLICY.baseline, 'INC-1042');
		expect(graphRequests(isPatch).every((r) => r.status === 204)).toBe(true);
		const readBacks = graphRequests(isReadBack);
		expect(readBacks.map((r) => STATUS_ID.exec(r.path)![1]).sort()).toEqual([...ids].sort());
		expect(readBacks.every((r) => r.status === 200)).toBe(true);
	});
});

describe('example: remediate a ticket (service principal, client secret, HTTPS with a test CA)', () => {
	test('MSAL gets an app token from the HTTPS login host and every update lands', async () => {
		sandbox.emulator.configure({ patchStatus: 204 });
		await runRemediation('intuneTicketSvcPr', POLICY.bitlocker, 'INC-1043');
		const tokens = sandbox.emulator.tokenRequests;
		expect(tokens.length).toBeGreaterThanOrEqual(1);
		expect(
			tokens.every(
				(t) =>
					t.grantType === 'client_credentials' &&
					t.status === 200 &&
					t.origin.startsWith('https://'),
			),
		).toBe(true);
		expect(graphRequests().every((r) => r.origin.startsWith('https://'))).toBe(true);
	});
});

describe('example: a queue of tickets with bad input (service principal, certificate; continue on fail)', () => {
	test('malformed tickets fail alone, naming parameter, value and item; nothing is sent for them', async () => {
		sandbox.emulator.configure({ patchStatus: 204 });
		const before = snapshot(POLICY.defender);
		const run = await execute('intuneTicketQueue');

		const report = nodeOutput(run, 'Report per ticket');
		expect(report.map((r) => [r.ticket, r.outcome])).toEqual([
			['INC-2001', 'updated'],
			['INC-2002', 'updated'],
			['INC-2003', 'updated'],
			['INC-2004', 'failed'],
			['INC-2005', 'failed'],
			['INC-2006', 'failed'],
			['INC-2007', 'updated'],
		]);
		expect(report[3].error).toEqual(
			expect.stringMatching(/userStatusId.*"see attached screenshot".*item 3/),
		);
		expect(report[4].error).toEqual(expect.stringMatching(/status.*"fixed".*item 4/));
		expect(report[5].error).toEqual(
			expect.stringMatching(/lastReportedDateTime.*"last Tuesday".*item 5/),
		);
		expect(report[0]).toMatchObject({
			user: 'diego.vance@contoso.onmicrosoft.com',
			status: 'remediated',
		});
		expect(report[2]).toMatchObject({
			status: 'compliant',
			lastReportedDateTime: '2026-01-05T09:30:00Z',
		});

		// Exactly the four good tickets were written; the three bad ones were never sent.
		const patched = graphRequests(isPatch).map((r) => STATUS_ID.exec(r.path)![1]);
		expect(patched.sort()).toEqual(
			[
				'5ec7fd85-a49f-4cff-894b-13778bd13b8f',
				'edb46d9e-e3f1-4572-aab1-7d4193d0b58d',
				'827241e2-bc47-4618-9001-d02fe746a238',
				'6cac1599-6bef-402e-b352-de299abeb280',
			].sort(),
		);
		const changed = statuses(POLICY.defender).filter(
			(s) => JSON.stringify(s) !== JSON.stringify(before.get(s.id)),
		);
		expect(changed.map((s) => s.id).sort()).toEqual(patched.sort());
		// The certificate credential signed in with a client assertion, over HTTPS.
		expect(
			sandbox.emulator.tokenRequests.every(
				(t) => t.grantType === 'client_credentials' && t.status === 200,
			),
		).toBe(true);
		expect(sandbox.emulator.tokenRequests.length).toBeGreaterThanOrEqual(1);
	});
});

/** Expires every access token when the `n`-th PATCH reaches the sandbox, while n8n is in the middle of the update node. */
function expireTokensAtPatch(n: number): () => void {
	const requests = sandbox.emulator.requests;
	const push = requests.push;
	let patches = 0;
	requests.push = function (this: LoggedRequest[], ...items: LoggedRequest[]) {
		for (const item of items)
			if (item.method === 'PATCH' && ++patches === n) sandbox.emulator.expireAllAccessTokens();
		return push.apply(this, items);
	};
	return () => {
		requests.push = push;
	};
}

describe('an access token expires in the middle of a run', () => {
	/** Runs a remediation workflow whose tokens expire at its 6th PATCH: exactly one request meets a 401. */
	async function runWithTokensExpiring(workflowId: string, policy: string, ticket: string) {
		await runRemediation(workflowId, policy, ticket, { expireTokensAtPatch: 6 });
		const patches = graphRequests(isPatch);
		expect(patches.filter((r) => r.status === 401)).toHaveLength(1);
		return patches;
	}

	test('OAuth2: n8n refreshes with the refresh token, retries, and stores the new token', async () => {
		sandbox.emulator.configure({ patchStatus: 204 });
		const patches = await runWithTokensExpiring('e2eExpiryOAuth2', POLICY.baseline, 'INC-1042');
		expect(patches.filter((r) => r.status === 204)).toHaveLength(20);
		expect(patches.every((r) => !r.inBatch)).toBe(true);
		const refreshes = sandbox.emulator.tokenRequests.filter((t) => t.grantType === 'refresh_token');
		expect(refreshes).toHaveLength(1);
		expect(refreshes[0].status).toBe(200);

		// The refreshed token was saved with the credential (encrypted), as n8n does for OAuth2.
		const exported = path.join(prepared.work, 'oauth2-credential.json');
		await n8nCliOk(prepared.inst, env, [
			'export:credentials',
			`--id=${CREDENTIAL_IDS.oAuth2}`,
			'--decrypted',
			`--output=${exported}`,
		]);
		const [credential] = JSON.parse(readFileSync(exported, 'utf8')) as Array<{
			data: { oauthTokenData: { access_token: string } };
		}>;
		const lastToken = (patches.at(-1)!.headers.authorization ?? '').replace(/^Bearer /, '');
		expect(credential.data.oauthTokenData.access_token).toBe(lastToken);
		const firstToken = (patches[0].headers.authorization ?? '').replace(/^Bearer /, '');
		expect(lastToken).not.toBe(firstToken);
	});

	test('service principal: the credential fetches a new app token through MSAL and retries', async () => {
		sandbox.emulator.configure({ patchStatus: 200 });
		const tokensBefore = sandbox.emulator.tokenRequests.length;
		const patches = await runWithTokensExpiring('e2eExpirySvcPr', POLICY.bitlocker, 'INC-1043');
		expect(patches.filter((r) => r.status === 200)).toHaveLength(20);
		const tokenRequests = sandbox.emulator.tokenRequests.slice(tokensBefore);
		expect(
			tokenRequests.filter((t) => t.grantType === 'client_credentials' && t.status === 200),
		).toHaveLength(2);
	});
});

describe('a 429 storm', () => {
	test("Intune's write budget runs out mid-batch and the list read is throttled too: every update still lands, after Retry-After", async () => {
		// 5 writes per 2 s for the app (Intune allows 100 per 20 s): the node, paced for Intune's real budget,
		// meets 429s on most of its batch and must wait out each Retry-After; the first two list reads get 429 too.
		sandbox.emulator.configure({
			patchStatus: 204,
			throttle: { enabled: true, writesPerWindow: 5, windowMs: 2000, retryAfter: 'seconds' },
		});
		sandbox.emulator.injectFaults({
			method: 'GET',
			pathIncludes: '/userStatuses?',
			status: 429,
			headers: { 'Retry-After': '1' },
			times: 2,
		});
		await runRemediation('intuneTicketOAuth', POLICY.baseline, 'INC-1042');

		const patches = graphRequests(isPatch);
		const throttled = patches.filter((r) => r.status === 429);
		expect(throttled.length).toBeGreaterThanOrEqual(15);
		expect(patches.filter((r) => r.status === 204)).toHaveLength(20);
		expect(
			graphRequests(
				(r) => r.method === 'GET' && r.path.includes('/userStatuses?') && r.status === 429,
			),
		).toHaveLength(2);
		// Every retry of a throttled status waited at least the 1 s that Retry-After asked for.
		for (const rejected of throttled) {
			const id = STATUS_ID.exec(rejected.path)![1];
			const next = patches.find((r) => r.time > rejected.time && r.path === rejected.path);
			expect(next).toBeDefined();
			expect(next!.time - rejected.time).toBeGreaterThanOrEqual(950);
			expect(id).toMatch(/^[0-9a-f-]{36}$/);
		}
	});
});

/** The sandbox as its control API shows it (GET /_emulator/data, /_emulator/requests). */
async function control<T>(endpoint: string): Promise<T> {
	const response = await fetch(`${sandbox.controlUrl}/${endpoint}`);
	expect(response.status).toBe(200);
	return (await response.json()) as T;
}

type SandboxData = { policies: Policy[]; userStatuses: Record<string, UserStatus[]> };

describe('example: a tour of every operation (policies, pickers, a row from create to delete)', () => {
	test('policies over several pages, by ID and by admin center URL; a picked row read; a new row created, read, deleted, and deleted again as already gone', async () => {
		// One policy per page: Return All must follow two next links to see the sandbox's three policies.
		sandbox.emulator.configure({ pageSize: 1 });
		const before = await control<SandboxData>('data');
		expect(before.policies.map((p) => p.id)).toEqual([
			POLICY.baseline,
			POLICY.bitlocker,
			POLICY.defender,
		]);
		const run = await execute('intunePolicyTour');

		// 1. Policies: every page, only the selected properties (and @odata.type); then each read in full by ID.
		expect(nodeOutput(run, 'List policies')).toEqual(
			before.policies.map((p) => ({
				'@odata.type': '#microsoft.graph.windows10CompliancePolicy',
				id: p.id,
				displayName: p.displayName,
			})),
		);
		expect(before.policies.map((p) => p.displayName)).toEqual([
			'Windows 10 Security Baseline',
			'BitLocker Encryption Required',
			'Defender Antivirus Minimum',
		]);
		expect(nodeOutput(run, 'Read each policy')).toEqual(before.policies);

		// 2. The row whose policy and user status were picked From List (the cached names are only labels).
		const adele = before.userStatuses[POLICY.baseline][0];
		expect(adele).toEqual({
			id: '1a6d636c-655d-4974-8e2b-ef8af84e9fc4',
			userDisplayName: 'Adele Vance',
			devicesCount: 1,
			status: 'compliant',
			lastReportedDateTime: '2024-02-29T08:00:00.0000000Z',
			userPrincipalName: 'adele.vance@contoso.onmicrosoft.com',
		});
		expect(nodeOutput(run, "Read a user's row")).toEqual([adele]);

		// 3. The policy from an Intune admin center link, and a row from create to delete.
		const bitlocker = before.policies.find((p) => p.id === POLICY.bitlocker);
		expect(nodeOutput(run, 'Open policy from admin center link')).toEqual([bitlocker]);
		const [created] = nodeOutput(run, 'Add a row for a new user');
		const newId = String(created.id);
		expect(newId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
		expect(before.userStatuses[POLICY.bitlocker].some((s) => s.id === newId)).toBe(false);
		expect(created).toEqual({
			id: newId,
			userDisplayName: 'New Hire',
			devicesCount: 1,
			status: 'nonCompliant',
			lastReportedDateTime: '2026-11-28T09:00:00Z',
			userPrincipalName: 'new.hire@contoso.onmicrosoft.com',
		});
		expect(nodeOutput(run, 'Read the new row')).toEqual([created]);
		expect(nodeOutput(run, 'Delete the new row')).toEqual([{ deleted: true, id: newId }]);
		expect(nodeOutput(run, 'Delete it again (already gone is fine)')).toEqual([
			{ deleted: true, id: newId, alreadyGone: true },
		]);

		// The tenant ends as it started: the new row came and went, nothing else changed.
		expect(await control<SandboxData>('data')).toEqual(before);

		// What reached Graph, in order: the branches run top to bottom, one request per item
		// (the three policy reads in one $batch).
		const { requests } = await control<{ requests: LoggedRequest[] }>('requests');
		const policies = '/beta/deviceManagement/deviceCompliancePolicies';
		const newRow = `${policies}/${POLICY.bitlocker}/userStatuses/${newId}`;
		expect(
			requests.map(
				(r) =>
					`${r.method} ${decodeURIComponent(r.path).replace(/\$skiptoken=[\w-]+/, '$skiptoken=…')} ${r.status}${r.inBatch ? ' (in $batch)' : ''}`,
			),
		).toEqual([
			`GET ${policies}?$select=id,displayName 200`,
			`GET ${policies}?$skiptoken=… 200`,
			`GET ${policies}?$skiptoken=… 200`,
			'POST /beta/$batch 200',
			...before.policies.map((p) => `GET ${policies}/${p.id} 200 (in $batch)`),
			`GET ${policies}/${POLICY.baseline}/userStatuses/${adele.id} 200`,
			`GET ${policies}/${POLICY.bitlocker} 200`,
			`POST ${policies}/${POLICY.bitlocker}/userStatuses 201`,
			`GET ${newRow} 200`,
			`DELETE ${newRow} 204`,
			`DELETE ${newRow} 404`,
		]);
		const post = requests.find((r) => r.method === 'POST' && r.path.endsWith('/userStatuses'))!;
		expect(post.body).toEqual({
			status: 'nonCompliant',
			lastReportedDateTime: '2026-11-28T09:00:00Z',
			userDisplayName: 'New Hire',
			userPrincipalName: 'new.hire@contoso.onmicrosoft.com',
			devicesCount: 1,
		});
	});
});
