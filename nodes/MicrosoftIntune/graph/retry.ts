import type { GraphAnswer, GraphRequest } from './request';

/** Statuses Graph asks clients to retry. 504 may hide a request that did happen, so POST skips it. */
export function isRetryable(request: Pick<GraphRequest, 'method'>, status: number): boolean {
	if (status === 429 || status === 503) return true;
	return status === 504 && request.method !== 'POST';
}

/**
 * Reads `Retry-After` as seconds (Graph sends integers, batch answers sometimes decimals such as
 * `0.249`) or as an HTTP date. Returns milliseconds, or undefined where the header is missing or unusable.
 */
export function retryAfterMs(
	answer: Pick<GraphAnswer, 'headers'>,
	now = Date.now(),
): number | undefined {
	const header = answer.headers['retry-after']?.trim();
	if (!header) return undefined;
	if (/^\d+(\.\d+)?$/.test(header)) return Math.round(Number(header) * 1000);
	const date = Date.parse(header);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface BackoffPolicy {
	baseMs: number;
	maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 60000 };

/**
 * Exponential backoff with jitter for answers without `Retry-After`: attempt 1 waits about base, then
 * doubles, capped; the jitter (50–100 %) keeps many items from retrying in lockstep.
 */
export function backoffMs(attempt: number, policy = DEFAULT_BACKOFF, random = Math.random): number {
	const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
	return Math.round(ceiling * (0.5 + random() / 2));
}

/** How long to wait before the next try of an answer that may be retried. */
export function retryDelayMs(
	answer: GraphAnswer,
	attempt: number,
	policy = DEFAULT_BACKOFF,
): number {
	return retryAfterMs(answer) ?? backoffMs(attempt, policy);
}
