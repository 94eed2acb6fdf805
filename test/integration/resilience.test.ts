import type { World } from './world';
import { expectNoSecrets, startWorld, updateItems, updateParameters } from './world';

let world: World;

beforeAll(async () => {
	world = await startWorld({ statusesPerPolicy: 60 });
});
afterAll(async () => await world.close());
beforeEach(() => world.emulator.reset());

const innerPatches = () => world.emulator.requests.filter((r) => r.method === 'PATCH');

describe('throttling and transient errors', () => {
	it('clears a 429 storm inside batches, retrying only the refused items after their Retry-After', async () => {
		const items = updateItems(world.policy(), 25);
		world.emulator.injectFaults(
			{
				method: 'PATCH',
				status: 429,
				headers: { 'Retry-After': '0.05' },
				times: 6,
				inBatchOnly: true,
			},
			{
				method: 'PATCH',
				status: 429,
				headers: { 'Retry-After': '0' },
				times: 4,
				inBatchOnly: true,
			},
		);
		const result = await world.run({ parameters: updateParameters(), items });

		expect(result.status).toBe('success');
		expect(result.items.map((item) => item.json.id)).toEqual(
			items.map((item) => item.userStatusId),
		);
		expect(result.items.every((item) => item.json.status === 'remediated')).toBe(true);
		// 25 successes plus the 10 refusals: nothing that succeeded was sent again.
		const statuses = innerPatches().map((r) => r.status);
		expect(statuses.filter((s) => s === 200)).toHaveLength(25);
		expect(statuses.filter((s) => s === 429)).toHaveLength(10);
		const succeeded = innerPatches()
			.filter((r) => r.status === 200)
			.map((r) => r.path);
		expect(new Set(succeeded).size).toBe(25);
	});

	it('retries 429 without Retry-After, 503 and 504 with backoff', async () => {
		const items = updateItems(world.policy(), 3);
		world.emulator.injectFaults(
			{ method: 'PATCH', status: 429, times: 1, inBatchOnly: true },
			{
				method: 'PATCH',
				status: 503,
				headers: { 'Retry-After': '0' },
				times: 1,
				inBatchOnly: true,
			},
			{
				method: 'PATCH',
				status: 504,
				headers: { 'Retry-After': '0' },
				times: 1,
				inBatchOnly: true,
			},
		);
		const result = await world.run({ parameters: updateParameters(), items });
		expect(result.status).toBe('success');
		expect(result.items.map((item) => item.json.status)).toEqual([
			'remediated',
			'remediated',
			'remediated',
		]);
		expect(
			innerPatches()
				.map((r) => r.status)
				.sort(),
		).toEqual([200, 200, 200, 429, 503, 504]);
	});

	it('retries a throttled $batch envelope as a whole', async () => {
		const items = updateItems(world.policy(), 4);
		world.emulator.injectFaults({
			status: 429,
			headers: { 'Retry-After': '0' },
			times: 1,
			envelopeOnly: true,
		});
		const result = await world.run({ parameters: updateParameters(), items });
		expect(result.items.map((item) => item.json.status)).toEqual(Array(4).fill('remediated'));
		expect(
			world.emulator.requests.filter((r) => r.path.endsWith('$batch')).map((r) => r.status),
		).toEqual([429, 200]);
	});

	it('gives up after Max Retries with an error that says how often it tried', async () => {
		const items = updateItems(world.policy(), 2);
		world.emulator.injectFaults({
			method: 'PATCH',
			pathIncludes: String(items[1].userStatusId),
			status: 429,
			headers: { 'Retry-After': '0' },
			times: 10,
			body: { error: { code: 'TooManyRequests', message: 'Too many requests' } },
		});
		const failed = await world.run({
			parameters: updateParameters({ options: { maxRetries: 2 } }),
			items,
		});
		expect(failed.status).toBe('error');
		expect(failed.error!.message).toBe('TooManyRequests: Too many requests');
		expect(failed.error!.description).toContain('Tried 3 times');
		expect(failed.error!.description).toMatch(/request-id: [0-9a-f-]{36}/);

		world.emulator.reset();
		world.emulator.injectFaults({
			method: 'PATCH',
			pathIncludes: String(items[1].userStatusId),
			status: 429,
			headers: { 'Retry-After': '0' },
			times: 10,
		});
		const continued = await world.run({
			parameters: updateParameters({ options: { maxRetries: 2 } }),
			items,
			onError: 'continueRegularOutput',
		});
		expect(continued.status).toBe('success');
		expect(continued.items[0].json.status).toBe('remediated');
		expect(continued.items[1].json.error).toContain('TooManyRequests');
		expect(continued.items[1].pairedItem).toEqual({ item: 1 });
	});

	it('maps answers back by id whatever order a batch returns them in, for 20 and 21 items', async () => {
		world.emulator.configure({ shuffleBatchResponses: true });
		for (const count of [20, 21]) {
			world.emulator.reset();
			world.emulator.configure({ shuffleBatchResponses: true });
			const items = updateItems(world.policy(), count, 'conflict');
			const result = await world.run({ parameters: updateParameters(), items });
			expect(result.items.map((item) => item.json.id)).toEqual(
				items.map((item) => item.userStatusId),
			);
			expect(result.items.map((item) => item.pairedItem)).toEqual(
				items.map((_, item) => ({ item })),
			);
			const envelopes = world.emulator.requests.filter((r) => !r.inBatch);
			expect(envelopes.map((r) => r.method)).toEqual(count === 20 ? ['POST'] : ['POST', 'PATCH']);
		}
	});
});

describe('tokens', () => {
	it('refreshes an expired OAuth2 access token with the refresh token and stores the new one', async () => {
		const credential = world.oauthCredential();
		const expiredToken = (credential.data.oauthTokenData as Record<string, string>).access_token;
		const items = updateItems(world.policy(), 3);
		world.emulator.expireAllAccessTokens();
		const result = await world.run({ parameters: updateParameters(), items, credential });

		expect(result.status).toBe('success');
		expect(result.items.map((item) => item.json.status)).toEqual(Array(3).fill('remediated'));
		expect(world.emulator.tokenRequests.map((r) => [r.grantType, r.status])).toEqual([
			['refresh_token', 200],
		]);
		const stored = world.harness.credentialData(credential.id).oauthTokenData as Record<
			string,
			string
		>;
		expect(stored.access_token).toMatch(/\S{20,}/);
		expect(stored.access_token).not.toBe(expiredToken);
		expect(world.emulator.requests.map((r) => r.status).filter((s) => s === 401)).toHaveLength(1);
		expectNoSecrets(result, world.secrets(credential));
	});

	it('refreshes an OAuth2 token that expires in the middle of a run, a few times at most', async () => {
		const credential = world.oauthCredential();
		world.emulator.configure({ latencyMs: 10 });
		const items = updateItems(world.policy(1), 60);
		const running = world.run({
			parameters: updateParameters({ options: { batching: false, concurrency: 4 } }),
			items,
			credential,
		});
		while (world.emulator.requests.length < 12)
			await new Promise((resolve) => setTimeout(resolve, 2));
		world.emulator.expireAllAccessTokens();
		const result = await running;

		expect(result.status).toBe('success');
		expect(result.items.map((item) => item.json.id)).toEqual(
			items.map((item) => item.userStatusId),
		);
		const refreshes = world.emulator.tokenRequests.filter((r) => r.grantType === 'refresh_token');
		// Requests already in flight with the old token each meet a 401; n8n refreshes for them, no more.
		expect(refreshes.length).toBeGreaterThanOrEqual(1);
		expect(refreshes.length).toBeLessThanOrEqual(4);
		expect(refreshes.every((r) => r.status === 200)).toBe(true);
	});

	it('asks to reconnect when the refresh token is refused too, without retrying or showing any token', async () => {
		const credential = world.oauthCredential();
		(credential.data.oauthTokenData as Record<string, string>).refresh_token =
			'revoked-refresh-token';
		world.emulator.expireAllAccessTokens();
		const result = await world.run({
			parameters: updateParameters(),
			items: updateItems(world.policy(), 1),
			credential,
		});
		expect(result.status).toBe('error');
		expect(result.error!.message).toBe(
			`The credential "${credential.name}" needs to be reconnected.`,
		);
		expect(result.error!.description).toContain('reconnect it');
		expect(world.emulator.tokenRequests.map((r) => [r.grantType, r.status])).toEqual([
			['refresh_token', 400],
		]);
		expect(JSON.stringify(result.error)).not.toContain('revoked-refresh-token');
		expectNoSecrets(result, world.secrets(credential));
	});
});

describe('no answer', () => {
	it('retries a Graph that does not answer, then says so and how often it tried', async () => {
		const credential = world.oauthCredential();
		credential.data.graphApiBaseUrl = 'http://127.0.0.1:9'; // the discard port: nothing listens
		const result = await world.run({
			parameters: updateParameters({ options: { maxRetries: 1 } }),
			items: updateItems(world.policy(), 2),
			credential,
		});
		expect(result.status).toBe('error');
		expect(result.error!.message).toBe('NoAnswer: No answer from Microsoft Graph (ECONNREFUSED)');
		expect(result.error!.description).toContain('got no answer. Tried 2 times.');
	});
});

describe('Graph errors', () => {
	it('shows 404 and 400 with Graph code, message and request-id', async () => {
		const policy = world.policy();
		const notFound = await world.run({
			parameters: updateParameters(),
			items: [
				{
					policyId: policy.id,
					userStatusId: 'does-not-exist',
					status: 'compliant',
					reportedAt: '2026-01-01T00:00:00Z',
				},
			],
		});
		expect(notFound.status).toBe('error');
		expect(notFound.error!.message).toMatch(/^ResourceNotFound: /);
		expect(notFound.error!.description).toContain(
			`PATCH /beta/deviceManagement/deviceCompliancePolicies/${policy.id}/userStatuses/does-not-exist answered 404`,
		);
		expect(notFound.error!.description).toMatch(/request-id: [0-9a-f-]{36}/);

		world.emulator.injectFaults({
			method: 'PATCH',
			status: 400,
			body: {
				error: { code: 'BadRequest', message: 'Property status is read-only for this tenant' },
			},
		});
		const badRequest = await world.run({
			parameters: updateParameters(),
			items: updateItems(policy, 1),
		});
		expect(badRequest.error!.message).toBe(
			'BadRequest: Property status is read-only for this tenant',
		);
		expect(badRequest.error!.description).toContain('answered 400');
	});

	it('without Continue On Fail, fails with the first error by item index and stops sending', async () => {
		const policy = world.policy();
		const items = updateItems(policy, 3);
		items[1].userStatusId = 'missing-one';
		const result = await world.run({
			parameters: updateParameters({ options: { batching: false, concurrency: 1 } }),
			items,
		});
		expect(result.status).toBe('error');
		expect(result.error!.message).toMatch(/^ResourceNotFound/);
		expect((result.error as unknown as { context: { itemIndex: number } }).context.itemIndex).toBe(
			1,
		);
		// Item 2 was not sent after item 1 failed for good.
		expect(innerPatches()).toHaveLength(2);
	});
});
