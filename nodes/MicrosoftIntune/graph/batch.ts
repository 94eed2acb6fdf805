import type { IDataObject } from 'n8n-workflow';

import type { GraphAnswer, GraphRequest } from './request';
import { lowerCaseHeaders } from './request';

/** Graph takes at most 20 requests in one `$batch`. */
export const MAX_BATCH_SIZE = 20;

/** The `$batch` body for requests keyed by their id (unique within the batch). */
export function batchBody(requests: Array<{ id: string; request: GraphRequest }>): IDataObject {
	return {
		requests: requests.map(({ id, request }) => ({
			id,
			method: request.method,
			url: request.path,
			...(request.body !== undefined
				? {
						headers: { 'content-type': 'application/json' },
						body: request.body,
					}
				: {}),
		})),
	};
}

/**
 * Matches the inner answers of a `$batch` to the ids sent; Graph returns them in any order. An id with
 * no answer is missing from the map (the caller retries it).
 */
export function batchAnswers(envelope: unknown): Map<string, GraphAnswer> {
	const answers = new Map<string, GraphAnswer>();
	const responses = (envelope as { responses?: unknown } | undefined)?.responses;
	if (!Array.isArray(responses)) return answers;
	for (const response of responses as Array<Record<string, unknown>>) {
		if (response && typeof response.id === 'string' && typeof response.status === 'number') {
			answers.set(response.id, {
				status: response.status,
				headers: lowerCaseHeaders(response.headers),
				body: response.body ?? undefined,
			});
		}
	}
	return answers;
}
