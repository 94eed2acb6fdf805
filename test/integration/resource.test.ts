import type { IDataObject, IPairedItemData } from 'n8n-workflow';

import { startRecorder } from '../emulator/index.ts';
import type { World } from './world';
import { expectNoSecrets, startWorld } from './world';

let world: World;

beforeAll(async () => {
	world = await startWorld({ statusesPerPolicy: 57 });
});
afterAll(async () => await world.close());
beforeEach(() => world.emulator.reset());

const policyLocator = (value: string) => ({ __rl: true, mode: 'id', value });
const listGets = () => world.emulator.requests.filter((r) => r.method === 'GET');

function getAllStatuses(policyId: string, extra: IDataObject = {}) {
	return {
		resource: 'complianceUserStatus',
		operation: 'getAll',
		policyId: policyLocator(policyId),
		...extra,
	};
}

describe('Compliance User Status → Get Many', () => {
	it('returns every user status across pages with Return All, one item per entity, paired with its input', async () => {
		world.emulator.configure({ pageSize: 10 });
		const policy = world.policy();
		const result = await world.run({
			parameters: getAllStatuses(policy.id, { returnAll: true }),
			items: [{}],
		});
		expect(result.items.map((item) => item.json.id)).toEqual(policy.statuses.map((row) => row.id));
		expect(result.items.every((item) => (item.pairedItem as IPairedItemData).item === 0)).toBe(
			true,
		);
		expect(listGets()).toHaveLength(6);
		expect(result.items[0].json['@odata.context']).toBeUndefined();
	});

	it.each(['honour', 'cap', 'ignore'] as const)(
		'stops at the limit and fetches no page it does not need ($top %s)',
		async (topMode) => {
			world.emulator.configure({ pageSize: 10, topMode });
			const policy = world.policy();
			const result = await world.run({
				parameters: getAllStatuses(policy.id, { limit: 15 }),
				items: [{}],
			});
			expect(result.items.map((item) => item.json.id)).toEqual(
				policy.statuses.slice(0, 15).map((row) => row.id),
			);
			// honour: pages of 15 (one page); cap and ignore: pages of 10 (two pages)
			expect(listGets()).toHaveLength(topMode === 'honour' ? 1 : 2);
			expect(listGets()[0].path).toContain('%24top=15'.replace('%24', '$'));
		},
	);

	it('passes $filter and $select, and lists once per input item', async () => {
		const policy = world.policy();
		const nonCompliant = policy.statuses.filter((row) => row.status === 'nonCompliant');
		expect(nonCompliant.length).toBeGreaterThan(0);
		const result = await world.run({
			parameters: getAllStatuses(policy.id, {
				returnAll: true,
				options: { filter: "status eq 'nonCompliant'", select: 'id, status' },
			}),
			items: [{}, {}],
		});
		expect(result.items).toHaveLength(nonCompliant.length * 2);
		expect(result.items.map((item) => (item.pairedItem as IPairedItemData).item)).toEqual([
			...nonCompliant.map(() => 0),
			...nonCompliant.map(() => 1),
		]);
		expect(Object.keys(result.items[0].json).sort()).toEqual(['id', 'status']);
		expect(decodeURIComponent(listGets()[0].path)).toContain("$filter=status eq 'nonCompliant'");
	});

	it('refuses a next link to another origin, sends nothing there, and names the host', async () => {
		const recorder = await startRecorder();
		try {
			world.emulator.configure({ pageSize: 10, nextLinkOrigin: recorder.url });
			const credential = world.oauthCredential();
			const result = await world.run({
				parameters: getAllStatuses(world.policy().id, { returnAll: true }),
				items: [{}],
				credential,
			});
			expect(result.status).toBe('error');
			expect(result.error!.message).toBe(
				`Refused to follow a next link to ${new URL(recorder.url).host}: it is not the Graph origin ${new URL(world.emulator.httpUrl).host}`,
			);
			expect(recorder.requests).toHaveLength(0);
			expectNoSecrets(result, world.secrets(credential));
		} finally {
			await recorder.close();
		}
	});

	it('fails with Graph 404 for an unknown policy, and continues per item with Continue On Fail', async () => {
		const unknown = '00000000-0000-0000-0000-000000000000';
		const result = await world.run({
			parameters: getAllStatuses(unknown, {
				returnAll: true,
				policyId: policyLocator('={{ $json.policy }}'),
			}),
			items: [{ policy: unknown }, { policy: world.policy(1).id }],
			onError: 'continueRegularOutput',
		});
		expect(result.items[0].json.error).toMatch(/^ResourceNotFound: /);
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
		expect(result.items.slice(1).map((item) => item.json.id)).toEqual(
			world.policy(1).statuses.map((row) => row.id),
		);
	});

	it('refuses a limit below 1 before sending', async () => {
		const result = await world.run({
			parameters: getAllStatuses(world.policy().id, { limit: 0 }),
			items: [{}],
		});
		expect(result.error!.message).toBe(
			'Invalid limit 0 (number) in item 0: the limit is a whole number of at least 1',
		);
		expect(world.emulator.requests).toHaveLength(0);
	});
});

describe('Compliance User Status → Get, Create, Delete', () => {
	it('gets user statuses by id', async () => {
		const policy = world.policy();
		const rows = policy.statuses.slice(0, 3);
		const result = await world.run({
			parameters: {
				resource: 'complianceUserStatus',
				operation: 'get',
				policyId: policyLocator(policy.id),
				userStatusId: { __rl: true, mode: 'id', value: '={{ $json.id }}' },
			},
			items: rows.map((row) => ({ id: row.id })),
		});
		expect(result.items.map((item) => item.json)).toEqual(rows.map((row) => ({ ...row })));
	});

	it('creates user statuses and outputs what Graph created (201)', async () => {
		const policy = world.policy(2);
		const result = await world.run({
			parameters: {
				resource: 'complianceUserStatus',
				operation: 'create',
				policyId: policyLocator(policy.id),
				status: 'nonCompliant',
				lastReportedDateTime: '={{ $json.at }}',
				additionalFields: {
					userPrincipalName: '={{ $json.upn }}',
					userDisplayName: 'New User',
					devicesCount: 1,
				},
			},
			items: [
				{ upn: 'new.one@contoso.com', at: '2026-11-01T08:00:00Z' },
				{ upn: 'new.two@contoso.com', at: '2026-11-02T08:00:00Z' },
			],
		});
		expect(result.status).toBe('success');
		expect(
			result.items.map((item) => [
				item.json.userPrincipalName,
				item.json.status,
				item.json.devicesCount,
			]),
		).toEqual([
			['new.one@contoso.com', 'nonCompliant', 1],
			['new.two@contoso.com', 'nonCompliant', 1],
		]);
		const stored = world
			.policy(2)
			.statuses.slice(-2)
			.map((row) => row.id);
		expect(result.items.map((item) => item.json.id)).toEqual(stored);
		expect(
			world.emulator.requests.filter((r) => r.method === 'POST' && r.inBatch).map((r) => r.status),
		).toEqual([201, 201]);
	});

	it('deletes user statuses, outputs {deleted, id}, and treats 404 as an error unless Already Gone Is Fine', async () => {
		const policy = world.policy();
		const [first, second] = policy.statuses.map((row) => String(row.id));
		const parameters = {
			resource: 'complianceUserStatus',
			operation: 'delete',
			policyId: policyLocator(policy.id),
			userStatusId: { __rl: true, mode: 'id', value: '={{ $json.id }}' },
		};
		const deleted = await world.run({ parameters, items: [{ id: first }, { id: second }] });
		expect(deleted.items.map((item) => item.json)).toEqual([
			{ deleted: true, id: first },
			{ deleted: true, id: second },
		]);
		expect(world.policy().statuses.some((row) => row.id === first)).toBe(false);

		const again = await world.run({ parameters, items: [{ id: first }] });
		expect(again.status).toBe('error');
		expect(again.error!.message).toMatch(/^ResourceNotFound: /);

		const tolerated = await world.run({
			parameters: { ...parameters, options: { ignoreNotFound: true } },
			items: [{ id: first }],
		});
		expect(tolerated.items.map((item) => item.json)).toEqual([
			{ deleted: true, id: first, alreadyGone: true },
		]);
	});
});

describe('Compliance Policy', () => {
	it('gets one policy, keeping @odata.type', async () => {
		const policy = world.emulator.data.policies[1];
		const result = await world.run({
			parameters: {
				resource: 'compliancePolicy',
				operation: 'get',
				policyId: policyLocator(policy.id),
			},
			items: [{}],
		});
		expect(result.items[0].json).toEqual(
			expect.objectContaining({ id: policy.id, displayName: policy.displayName }),
		);
		expect(result.items[0].json['@odata.type']).toBe('#microsoft.graph.windows10CompliancePolicy');
	});

	it('takes the policy from an Intune admin center URL, and refuses a URL without one', async () => {
		const policy = world.emulator.data.policies[2];
		const byUrl = (value: string) =>
			world.run({
				parameters: {
					resource: 'compliancePolicy',
					operation: 'get',
					policyId: { __rl: true, mode: 'url', value },
				},
				items: [{}],
			});
		const found = await byUrl(
			`https://intune.microsoft.com/#view/Microsoft_Intune_DeviceSettings/PolicySummaryBlade/policyId/${policy.id}/policyType~/0`,
		);
		expect(found.items[0].json.id).toBe(policy.id);
		// Typed into the field, n8n itself refuses to run the workflow with the mode's message...
		await expect(
			byUrl(
				'https://intune.microsoft.com/#view/Microsoft_Intune_DeviceSettings/DevicesComplianceMenu',
			),
		).rejects.toThrow('Not a Graph or Intune admin center URL that holds a compliance policy ID');
		// ...and mapped from an item, the node refuses it, naming parameter, value and item.
		const sentBefore = world.emulator.requests.length;
		const mapped = await world.run({
			parameters: {
				resource: 'compliancePolicy',
				operation: 'get',
				policyId: { __rl: true, mode: 'url', value: '={{ $json.link }}' },
			},
			items: [
				{
					link: 'https://intune.microsoft.com/#view/Microsoft_Intune_DeviceSettings/DevicesComplianceMenu',
				},
			],
		});
		expect(mapped.status).toBe('error');
		expect(mapped.error!.message).toContain(
			'Invalid policyId "https://intune.microsoft.com/#view/',
		);
		expect(mapped.error!.message).toContain('in item 0');
		expect(world.emulator.requests).toHaveLength(sentBefore);
	});

	it('lists every policy, following pages', async () => {
		world.emulator.configure({ pageSize: 2 });
		const result = await world.run({
			parameters: { resource: 'compliancePolicy', operation: 'getAll', returnAll: true },
			items: [{}],
		});
		expect(result.items.map((item) => item.json.id)).toEqual(
			world.emulator.data.policies.map((p) => p.id),
		);
		expect(listGets()).toHaveLength(2);
	});
});

describe('pickers (list search)', () => {
	it('lists policies by display name, filtered and paged with a pagination token', async () => {
		world.emulator.configure({ pageSize: 2, topMode: 'cap' });
		const credential = world.oauthCredential();
		const parameters = {
			authentication: 'oAuth2',
			resource: 'complianceUserStatus',
			operation: 'update',
		};
		const first = await world.harness.callListSearch('searchPolicies', { parameters, credential });
		expect(first.results).toEqual(
			world.emulator.data.policies.slice(0, 2).map((p) => ({ name: p.displayName, value: p.id })),
		);
		expect(first.paginationToken).toMatch(
			/^http:\/\/127\.0\.0\.1:\d+\/beta\/deviceManagement\/deviceCompliancePolicies\?/,
		);
		const second = await world.harness.callListSearch('searchPolicies', {
			parameters,
			credential,
			paginationToken: first.paginationToken,
		});
		expect(second.results.map((r) => r.value)).toEqual([world.emulator.data.policies[2].id]);
		expect(second.paginationToken).toBeUndefined();

		const target = world.emulator.data.policies[1];
		const filtered = await world.harness.callListSearch('searchPolicies', {
			parameters,
			credential,
			filter: String(target.displayName).slice(-6).toUpperCase(),
		});
		expect(filtered.results.map((r) => r.value)).toContain(target.id);
		expect(filtered.results.length).toBeLessThan(2);
	});

	it('refuses a pagination token on another origin', async () => {
		await expect(
			world.harness.callListSearch('searchPolicies', {
				parameters: {
					authentication: 'oAuth2',
					resource: 'complianceUserStatus',
					operation: 'update',
				},
				credential: world.oauthCredential(),
				paginationToken: 'https://attacker.example/beta/deviceManagement/deviceCompliancePolicies',
			}),
		).rejects.toThrow('Refused to follow a next link to attacker.example');
	});

	it("lists the chosen policy's user statuses by user name and UPN", async () => {
		const policy = world.policy();
		const row = policy.statuses[7];
		const result = await world.harness.callListSearch('searchUserStatuses', {
			parameters: {
				authentication: 'oAuth2',
				resource: 'complianceUserStatus',
				operation: 'update',
				policyId: policyLocator(policy.id),
			},
			credential: world.oauthCredential(),
			filter: String(row.userPrincipalName),
		});
		expect(result.results).toEqual([
			{ name: `${row.userDisplayName} (${row.userPrincipalName}) · ${row.status}`, value: row.id },
		]);
	});
});
