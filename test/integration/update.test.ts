import type { World } from './world';
import { expectNoSecrets, startWorld, updateItems, updateParameters } from './world';

let world: World;

beforeAll(async () => {
	world = await startWorld();
});
afterAll(async () => await world.close());
beforeEach(() => world.emulator.reset());

const patches = () => world.emulator.requests.filter((r) => r.method === 'PATCH');

describe('Compliance User Status → Update', () => {
	it('updates each item and outputs the object Graph returned, in order, paired (PATCH answers 200)', async () => {
		const policy = world.policy();
		const items = updateItems(policy, 3);
		const credential = world.oauthCredential();
		const result = await world.run({ parameters: updateParameters(), items, credential });

		expect(result.status).toBe('success');
		expect(result.items.map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
		expect(result.items.map((item) => item.json.id)).toEqual(
			items.map((item) => item.userStatusId),
		);
		for (const [index, item] of result.items.entries()) {
			expect(item.json.status).toBe('remediated');
			expect(item.json.lastReportedDateTime).toBe(items[index].reportedAt);
			expect(item.json['@odata.context']).toBeUndefined();
		}
		// The emulator holds what the node wrote, and the output is Graph's full entity.
		const stored = world.policy().statuses.find((row) => row.id === items[1].userStatusId)!;
		expect(stored.status).toBe('remediated');
		expect(result.items[1].json).toEqual(
			expect.objectContaining({ userPrincipalName: stored.userPrincipalName }),
		);
		// Three items travelled in one $batch.
		expect(
			world.emulator.requests
				.filter((r) => !r.inBatch)
				.map((r) => `${r.method} ${r.path.split('?')[0]}`),
		).toEqual(['POST /beta/$batch']);
		expect(patches().every((r) => r.inBatch)).toBe(true);
		expectNoSecrets(result, world.secrets(credential));
	});

	it('reads the user status back where Intune answers 204 No Content', async () => {
		world.emulator.configure({ patchStatus: 204 });
		const policy = world.policy(1);
		const items = updateItems(policy, 2, 'nonCompliant');
		const result = await world.run({ parameters: updateParameters(), items });

		expect(result.status).toBe('success');
		expect(result.items.map((item) => [item.json.id, item.json.status])).toEqual(
			items.map((item) => [item.userStatusId, 'nonCompliant']),
		);
		const gets = world.emulator.requests.filter((r) => r.method === 'GET' && r.inBatch);
		expect(gets.map((r) => r.path.split('/').pop())).toEqual(
			expect.arrayContaining(items.map((i) => i.userStatusId)),
		);
		expect(gets).toHaveLength(2);
	});

	it('sends one request alone, without a batch, and with batching off too', async () => {
		const policy = world.policy();
		const single = await world.run({
			parameters: updateParameters(),
			items: updateItems(policy, 1),
		});
		expect(single.items).toHaveLength(1);
		expect(world.emulator.requests.map((r) => [r.method, r.inBatch])).toEqual([['PATCH', false]]);

		world.emulator.reset();
		const unbatched = await world.run({
			parameters: updateParameters({ options: { batching: false } }),
			items: updateItems(policy, 3),
		});
		expect(unbatched.items.map((item) => item.json.status)).toEqual([
			'remediated',
			'remediated',
			'remediated',
		]);
		expect(world.emulator.requests.map((r) => r.method)).toEqual(['PATCH', 'PATCH', 'PATCH']);
	});

	it('applies update fields, an API version, and ids given as URLs or with spaces around them', async () => {
		const policy = world.policy();
		const row = policy.statuses[4];
		const result = await world.run({
			parameters: updateParameters({
				policyId: {
					__rl: true,
					mode: 'url',
					value: `https://graph.microsoft.com/beta/deviceManagement/deviceCompliancePolicies/${policy.id}/userStatuses`,
				},
				userStatusId: { __rl: true, mode: 'id', value: `  ${row.id}  ` },
				status: 'compliant',
				lastReportedDateTime: '2026-11-28T09:30:00.1234567+01:00',
				updateFields: { userDisplayName: 'Adele Vance', devicesCount: 3 },
				options: { apiVersion: 'v1.0' },
			}),
			items: [{}],
		});
		expect(result.status).toBe('success');
		expect(result.items[0].json).toEqual(
			expect.objectContaining({
				id: row.id,
				status: 'compliant',
				userDisplayName: 'Adele Vance',
				devicesCount: 3,
				lastReportedDateTime: '2026-11-28T09:30:00.1234567+01:00',
			}),
		);
		expect(patches()[0].path).toBe(
			`/v1.0/deviceManagement/deviceCompliancePolicies/${policy.id}/userStatuses/${row.id}`,
		);
		expect(patches()[0].body).toEqual({
			status: 'compliant',
			lastReportedDateTime: '2026-11-28T09:30:00.1234567+01:00',
			userDisplayName: 'Adele Vance',
			devicesCount: 3,
		});
	});

	it('defaults the report time to now', async () => {
		const policy = world.policy();
		const before = Date.now();
		const { lastReportedDateTime: _ignored, ...parameters } = updateParameters();
		const result = await world.run({ parameters, items: updateItems(policy, 1) });
		const reported = Date.parse(String(result.items[0].json.lastReportedDateTime));
		expect(reported).toBeGreaterThanOrEqual(before - 1000);
		expect(reported).toBeLessThanOrEqual(Date.now() + 1000);
	});
});
