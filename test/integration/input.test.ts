import type { IDataObject } from 'n8n-workflow';

import type { World } from './world';
import { expectNoSecrets, startWorld, updateItems, updateParameters } from './world';

let world: World;

beforeAll(async () => {
	world = await startWorld();
});
afterAll(async () => await world.close());
beforeEach(() => world.emulator.reset());

type Item = IDataObject;

function validItem(): Item {
	return updateItems(world.policy(), 1)[0];
}

/** Each row: what is wrong with the item, and the parameter and value the message must name. */
const badInputs: Array<[string, (item: Item) => Item, string, string]> = [
	['an empty policy id', (item) => ({ ...item, policyId: '' }), 'policyId', '""'],
	[
		'a policy id that is not a GUID',
		(item) => ({ ...item, policyId: 'policy-1' }),
		'policyId',
		'"policy-1"',
	],
	['an empty user status id', (item) => ({ ...item, userStatusId: '' }), 'userStatusId', '""'],
	[
		'a path traversal',
		(item) => ({ ...item, userStatusId: '../../deviceManagement' }),
		'userStatusId',
		'"../../deviceManagement"',
	],
	[
		'a query in the id',
		(item) => ({ ...item, userStatusId: 'abc?$select=id' }),
		'userStatusId',
		'"abc?$select=id"',
	],
	[
		'a fragment in the id',
		(item) => ({ ...item, userStatusId: 'abc#x' }),
		'userStatusId',
		'"abc#x"',
	],
	['an encoded slash', (item) => ({ ...item, userStatusId: 'a%2Fb' }), 'userStatusId', '"a%2Fb"'],
	[
		'a very long id',
		(item) => ({ ...item, userStatusId: 'a'.repeat(5000) }),
		'userStatusId',
		'5002 characters',
	],
	[
		'an id of the wrong type',
		(item) => ({ ...item, userStatusId: { nested: true } }),
		'userStatusId',
		'',
	],
	['a status outside the enum', (item) => ({ ...item, status: 'fixed' }), 'status', '"fixed"'],
	[
		'a date that is not ISO 8601',
		(item) => ({ ...item, reportedAt: '28/11/2026' }),
		'lastReportedDateTime',
		'"28/11/2026"',
	],
	[
		'an impossible date',
		(item) => ({ ...item, reportedAt: '2026-02-30T10:00:00Z' }),
		'lastReportedDateTime',
		'"2026-02-30T10:00:00Z"',
	],
];

describe('bad input', () => {
	it.each(badInputs)(
		'fails the item on %s, naming parameter, value and item, before any request',
		async (_case, spoil, parameter, shown) => {
			const items = [validItem(), spoil(validItem())];
			const result = await world.run({ parameters: updateParameters(), items });

			expect(result.status).toBe('error');
			expect(result.error!.name).toBe('NodeOperationError');
			expect(result.error!.message).toContain(`Invalid ${parameter} `);
			expect(result.error!.message).toContain(shown);
			expect(result.error!.message).toContain('in item 1');
			expect(result.error!.message.length).toBeLessThan(400);
			// Nothing was sent: item 0 is not half done.
			expect(world.emulator.requests).toHaveLength(0);
		},
	);

	it('refuses an unknown update field and a devices count that is not a whole number', async () => {
		const unknownField = await world.run({
			parameters: updateParameters({ updateFields: { devicesCount: -2 } }),
			items: [validItem()],
		});
		expect(unknownField.error!.message).toBe(
			'Invalid updateFields.devicesCount -2 (number) in item 0: a whole number from 0 to 2147483647 is expected',
		);
		expect(world.emulator.requests).toHaveLength(0);
	});

	it('with Continue On Fail, bad items carry json.error and every other item is processed, in order', async () => {
		const good = updateItems(world.policy(), 4);
		const items: Item[] = [
			good[0],
			{ ...good[1], status: 'fixed' },
			good[2],
			{ ...good[3], userStatusId: 'does-not-exist' },
			{ ...good[3], userStatusId: 'a/b' },
		];
		const credential = world.oauthCredential();
		const result = await world.run({
			parameters: updateParameters(),
			items,
			credential,
			onError: 'continueRegularOutput',
		});

		expect(result.status).toBe('success');
		expect(result.items.map((item) => item.pairedItem)).toEqual(
			[0, 1, 2, 3, 4].map((item) => ({ item })),
		);
		expect(result.items[0].json).toEqual(
			expect.objectContaining({ id: good[0].userStatusId, status: 'remediated' }),
		);
		expect(result.items[2].json).toEqual(
			expect.objectContaining({ id: good[2].userStatusId, status: 'remediated' }),
		);
		expect(result.items[1].json.error).toBe(
			'Invalid status "fixed" in item 1: the status must be one of unknown, notApplicable, compliant, remediated, nonCompliant, error, conflict, notAssigned',
		);
		expect(result.items[3].json.error).toMatch(/^ResourceNotFound: /);
		expect(result.items[3].json.details).toMatch(/request-id: /);
		expect(result.items[4].json.error).toContain('Invalid userStatusId "a/b" in item 4');
		// Only the three valid items reached Graph.
		expect(world.emulator.requests.filter((r) => r.method === 'PATCH')).toHaveLength(3);
		expectNoSecrets(result, world.secrets(credential));
	});

	it('with the error output, failed items go to the second output and the rest to the first', async () => {
		const good = updateItems(world.policy(), 2);
		const items: Item[] = [good[0], { ...good[1], reportedAt: 'soon' }];
		const result = await world.run({
			parameters: updateParameters(),
			items,
			onError: 'continueErrorOutput',
		});
		expect(result.outputs[0].map((item) => item.json.id)).toEqual([good[0].userStatusId]);
		expect(result.outputs[1]).toHaveLength(1);
		expect(String(result.outputs[1][0].json.error)).toContain(
			'Invalid lastReportedDateTime "soon" in item 1',
		);
		expect(result.outputs[1][0].json.details).toContain('was not sent to Microsoft Graph');
	});
});

describe('bad options', () => {
	it('names the option and its value', async () => {
		const result = await world.run({
			parameters: updateParameters({ options: { batchSize: 50 } }),
			items: updateItems(world.policy(), 1),
		});
		expect(result.status).toBe('error');
		expect(result.error!.name).toBe('NodeOperationError');
		expect(result.error!.message).toBe(
			'Invalid options.batchSize 50 (number) in item 0: a number from 1 to 20 is expected',
		);
		expect(world.emulator.requests).toHaveLength(0);
	});
});
