import type { INode } from 'n8n-workflow';

import {
	DEFAULT_EXECUTOR_SETTINGS,
	GraphExecutor,
} from '../../nodes/MicrosoftIntune/graph/executor';
import { INTUNE_LIMITS, Pacer } from '../../nodes/MicrosoftIntune/graph/pacer';
import type { GraphAnswer, GraphRequest } from '../../nodes/MicrosoftIntune/graph/request';
import type { GraphTransport } from '../../nodes/MicrosoftIntune/graph/transport';
import { TransportError } from '../../nodes/MicrosoftIntune/graph/transport';

/**
 * Answers the executor cannot get from the emulator: a $batch answer missing a response, and a
 * connection that fails once. The transport is a script; everything else is the real executor.
 */
const node = {
	name: 'Microsoft Intune',
	type: 'n8n-nodes-microsoft-intune.microsoftIntune',
} as INode;

function scriptedTransport(
	script: (path: string, body: unknown, call: number) => GraphAnswer | Error,
) {
	const calls: Array<{ method: string; path: string; body: unknown }> = [];
	const transport: GraphTransport = {
		graphBaseUrl: 'https://graph.example.test',
		async send(method, _apiVersion, path, body) {
			calls.push({ method, path, body });
			const answer = script(path, body, calls.length);
			if (answer instanceof Error) throw answer;
			return answer;
		},
	};
	return { transport, calls };
}

const patch = (id: string): GraphRequest => ({
	method: 'PATCH',
	apiVersion: 'beta',
	path: `/deviceManagement/deviceCompliancePolicies/p/userStatuses/${id}`,
	body: { status: 'compliant' },
});

const executor = (transport: GraphTransport, settings = {}) =>
	new GraphExecutor(node, transport, new Pacer(INTUNE_LIMITS), {
		...DEFAULT_EXECUTOR_SETTINGS,
		...settings,
	});

describe('GraphExecutor', () => {
	it('retries a request whose response is missing from the $batch answer, alone', async () => {
		const { transport, calls } = scriptedTransport((path, body) => {
			if (path === '/$batch') {
				const ids = (body as { requests: Array<{ id: string }> }).requests.map((r) => r.id);
				return {
					status: 200,
					headers: {},
					body: {
						responses: ids
							.filter((id) => id !== '1')
							.map((id) => ({ id, status: 200, body: { id } })),
					},
				};
			}
			return { status: 200, headers: {}, body: { id: 'again' } };
		});
		const outcomes = await executor(transport).run([patch('a'), patch('b'), patch('c')]);
		expect(outcomes.map((outcome) => outcome?.ok && outcome.answer.body)).toEqual([
			{ id: '0' },
			{ id: 'again' },
			{ id: '2' },
		]);
		expect(calls.map((call) => call.path)).toEqual([
			'/$batch',
			'/deviceManagement/deviceCompliancePolicies/p/userStatuses/b',
		]);
	});

	it('retries a connection that failed, and gives up with how often it tried', async () => {
		const flaky = scriptedTransport((_path, _body, call) =>
			call === 1
				? new TransportError('No answer from Microsoft Graph (ECONNRESET)', undefined, true)
				: { status: 204, headers: {}, body: undefined },
		);
		const [outcome] = await executor(flaky.transport).run([patch('a')]);
		expect(outcome).toEqual({ ok: true, answer: { status: 204, headers: {}, body: undefined } });
		expect(flaky.calls).toHaveLength(2);

		const down = scriptedTransport(
			() => new TransportError('No answer from Microsoft Graph (ECONNREFUSED)', undefined, true),
		);
		const [failed] = await executor(down.transport, { maxRetries: 1 }).run([patch('a')]);
		expect(failed?.ok).toBe(false);
		expect(!failed?.ok && failed?.error.message).toBe(
			'NoAnswer: No answer from Microsoft Graph (ECONNREFUSED)',
		);
		expect(!failed?.ok && failed?.error.description).toContain('Tried 2 times');
	});

	it('does not retry what cannot be authenticated, and skips items without a request', async () => {
		const { transport, calls } = scriptedTransport(
			() =>
				new TransportError(
					'The credential "x" needs to be reconnected.',
					undefined,
					false,
					'Reconnect it.',
				),
		);
		const outcomes = await executor(transport).run([undefined, patch('a')]);
		expect(outcomes[0]).toBeUndefined();
		expect(!outcomes[1]?.ok && outcomes[1]?.error.message).toBe(
			'The credential "x" needs to be reconnected.',
		);
		expect(!outcomes[1]?.ok && outcomes[1]?.error.description).toBe(
			'Reconnect it. PATCH /beta/deviceManagement/deviceCompliancePolicies/p/userStatuses/a was not completed.',
		);
		expect(calls).toHaveLength(1);
	});

	it('reads back an update answered 204, and keeps API versions in separate batches', async () => {
		const { transport, calls } = scriptedTransport((path, body) => {
			if (path === '/$batch') {
				const requests = (body as { requests: Array<{ id: string; method: string }> }).requests;
				return {
					status: 200,
					headers: {},
					body: {
						responses: requests.map((r) =>
							r.method === 'PATCH'
								? { id: r.id, status: 204 }
								: { id: r.id, status: 200, body: { read: r.id } },
						),
					},
				};
			}
			return { status: 204, headers: {}, body: undefined };
		});
		const requests: GraphRequest[] = [
			{ ...patch('a'), readBackOnNoContent: true },
			{ ...patch('b'), readBackOnNoContent: true },
			{ ...patch('c'), apiVersion: 'v1.0' },
		];
		const outcomes = await executor(transport, { concurrency: 1 }).run(requests);
		expect(outcomes.map((outcome) => outcome?.ok && outcome.answer.body)).toEqual([
			{ read: '0' },
			{ read: '1' },
			undefined,
		]);
		expect(outcomes[2]).toEqual({
			ok: true,
			answer: { status: 204, headers: {}, body: undefined },
		});
		// beta batch of two PATCHes, the v1.0 PATCH alone, then the two read-backs in one batch
		expect(calls.map((call) => call.path)).toEqual([
			'/$batch',
			'/deviceManagement/deviceCompliancePolicies/p/userStatuses/c',
			'/$batch',
		]);
		expect(
			(calls[2].body as { requests: Array<{ method: string }> }).requests.map((r) => r.method),
		).toEqual(['GET', 'GET']);
	});
});
