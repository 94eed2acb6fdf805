import { batchAnswers, batchBody } from '../../nodes/MicrosoftIntune/graph/batch';
import {
	backoffMs,
	isRetryable,
	retryAfterMs,
	retryDelayMs,
} from '../../nodes/MicrosoftIntune/graph/retry';
import { graphPath, withQuery } from '../../nodes/MicrosoftIntune/graph/request';

const answer = (headers: Record<string, string>) => ({ status: 429, headers, body: undefined });

describe('Retry-After', () => {
	it('reads whole and decimal seconds and HTTP dates', () => {
		expect(retryAfterMs(answer({ 'retry-after': '3' }))).toBe(3000);
		expect(retryAfterMs(answer({ 'retry-after': '0.249' }))).toBe(249);
		const now = Date.parse('2026-11-28T12:00:00Z');
		expect(retryAfterMs(answer({ 'retry-after': 'Sat, 28 Nov 2026 12:00:10 GMT' }), now)).toBe(
			10000,
		);
		expect(retryAfterMs(answer({ 'retry-after': 'Sat, 28 Nov 2026 11:00:00 GMT' }), now)).toBe(0);
	});

	it('ignores a missing or unusable header, and then backs off exponentially with jitter', () => {
		expect(retryAfterMs(answer({}))).toBeUndefined();
		expect(retryAfterMs(answer({ 'retry-after': 'soon' }))).toBeUndefined();
		expect(backoffMs(1, { baseMs: 1000, maxMs: 60000 }, () => 1)).toBe(1000);
		expect(backoffMs(1, { baseMs: 1000, maxMs: 60000 }, () => 0)).toBe(500);
		expect(backoffMs(4, { baseMs: 1000, maxMs: 60000 }, () => 1)).toBe(8000);
		expect(backoffMs(30, { baseMs: 1000, maxMs: 60000 }, () => 1)).toBe(60000);
		const delay = retryDelayMs(answer({}), 2);
		expect(delay).toBeGreaterThanOrEqual(1000);
		expect(delay).toBeLessThanOrEqual(2000);
	});

	it('retries 429 and 503 always, 504 only where repeating is safe', () => {
		expect(isRetryable({ method: 'PATCH' }, 429)).toBe(true);
		expect(isRetryable({ method: 'POST' }, 503)).toBe(true);
		expect(isRetryable({ method: 'GET' }, 504)).toBe(true);
		expect(isRetryable({ method: 'POST' }, 504)).toBe(false);
		expect(isRetryable({ method: 'PATCH' }, 500)).toBe(false);
		expect(isRetryable({ method: 'PATCH' }, 400)).toBe(false);
	});
});

describe('$batch bodies and answers', () => {
	it('builds requests with ids, relative urls, and a content type where there is a body', () => {
		const body = batchBody([
			{
				id: '0',
				request: {
					method: 'PATCH',
					apiVersion: 'beta',
					path: '/a/b',
					body: { status: 'compliant' },
				},
			},
			{ id: '1', request: { method: 'GET', apiVersion: 'beta', path: '/a/c?$top=1' } },
		]);
		expect(body).toEqual({
			requests: [
				{
					id: '0',
					method: 'PATCH',
					url: '/a/b',
					headers: { 'content-type': 'application/json' },
					body: { status: 'compliant' },
				},
				{ id: '1', method: 'GET', url: '/a/c?$top=1' },
			],
		});
	});

	it('matches answers by id whatever their order, with lower-case headers', () => {
		const answers = batchAnswers({
			responses: [
				{ id: '2', status: 429, headers: { 'Retry-After': '0.5' } },
				{ id: '0', status: 200, body: { id: 'x' } },
				{ id: 7, status: 200 },
				{ id: '1' },
			],
		});
		expect([...answers.keys()].sort()).toEqual(['0', '2']);
		expect(answers.get('2')).toEqual({
			status: 429,
			headers: { 'retry-after': '0.5' },
			body: undefined,
		});
		expect(answers.get('0')!.body).toEqual({ id: 'x' });
		expect(batchAnswers('not json').size).toBe(0);
	});
});

describe('paths', () => {
	it('encodes every id so that it stays one segment', () => {
		expect(graphPath('deviceManagement', '../x', 'a?b#c', 'd/e')).toBe(
			'/deviceManagement/..%2Fx/a%3Fb%23c/d%2Fe',
		);
		expect(withQuery('/p', { $top: 5, $filter: "status eq 'x'", $select: undefined })).toBe(
			"/p?$top=5&$filter=status%20eq%20'x'",
		);
	});
});
