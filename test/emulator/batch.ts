// JSON batching: POST /{version}/$batch. Inner requests run in the order sent (dependsOn may only name
// earlier ones) through the same Graph pipeline; responses may come back shuffled, as Graph allows.
import { finishGraphResponse, graphError, lowerHeaders } from './httpUtil.ts';
import type { EmulatorState } from './state.ts';
import type { GraphRequest, GraphResponse } from './types.ts';

export const MAX_BATCH_REQUESTS = 20;

interface InnerRequest {
	id: string;
	method: string;
	url: string;
	headers?: Record<string, unknown>;
	body?: unknown;
	dependsOn?: string[];
}

interface InnerResponse {
	id: string;
	status: number;
	headers: Record<string, string>;
	body?: unknown;
}

export function handleBatch(
	state: EmulatorState,
	envelope: GraphRequest,
	dispatch: (inner: GraphRequest) => GraphResponse,
): GraphResponse {
	const parsed = parseEnvelope(envelope.body);
	if (typeof parsed === 'string') return graphError(400, 'BadRequest', parsed);
	const version = /^\/(v1\.0|beta)\//i.exec(envelope.path)![1];
	const statusById = new Map<string, number>();
	const responses: InnerResponse[] = [];

	for (const r of parsed) {
		const failedDependency = (r.dependsOn ?? []).find((d) => !isSuccess(statusById.get(d)));
		const headers = lowerHeaders(r.headers);
		let res: GraphResponse;
		if (failedDependency !== undefined) {
			// Not dispatched, so not logged: Graph never runs a request whose dependency failed.
			res = finishGraphResponse(
				graphError(
					424,
					'FailedDependency',
					`The request depends on request '${failedDependency}', which failed.`,
				),
				headers['client-request-id'],
			);
		} else if (/^[a-z][a-z0-9+.-]*:/i.test(r.url)) {
			res = finishGraphResponse(
				graphError(
					400,
					'BadRequest',
					`The url of batch request '${r.id}' must be relative to the version root, e.g. /deviceManagement/...; got '${r.url}'.`,
				),
				headers['client-request-id'],
			);
		} else {
			res = dispatch({
				method: r.method.toUpperCase(),
				path: `/${version}/${r.url.replace(/^\/+/, '')}`,
				headers,
				body: r.body,
				inBatch: true,
				origin: envelope.origin,
				envelopeAuthorization: envelope.headers.authorization,
				batchRequestId: r.id,
			});
		}
		statusById.set(r.id, res.status);
		responses.push({
			id: r.id,
			status: res.status,
			headers: innerHeaders(res.headers),
			...(res.body !== undefined ? { body: res.body } : {}),
		});
	}

	return {
		status: 200,
		headers: {},
		body: { responses: state.config.shuffleBatchResponses ? shuffled(responses) : responses },
	};
}

/** Validates the envelope body; returns the requests or the message of the 400 it deserves. */
function parseEnvelope(body: unknown): InnerRequest[] | string {
	const requests = (body as { requests?: unknown } | undefined)?.requests;
	if (!Array.isArray(requests))
		return 'Invalid batch payload format: the body must be {"requests":[...]}.';
	if (requests.length === 0)
		return 'Invalid batch payload format: the batch must contain at least one request.';
	if (requests.length > MAX_BATCH_REQUESTS) {
		return `The number of requests in the batch (${requests.length}) exceeds the limit of ${MAX_BATCH_REQUESTS}.`;
	}
	const seen = new Set<string>();
	for (const [i, r] of requests.entries()) {
		const req = r as Partial<InnerRequest> | null;
		if (
			!req ||
			typeof req.id !== 'string' ||
			!req.id ||
			typeof req.method !== 'string' ||
			typeof req.url !== 'string'
		) {
			return `Invalid batch payload format: request #${i + 1} needs string id, method and url.`;
		}
		if (seen.has(req.id))
			return `Batch request contains duplicate request id '${req.id}'. Request ids must be unique.`;
		if (req.headers !== undefined && (typeof req.headers !== 'object' || req.headers === null)) {
			return `Invalid batch payload format: headers of request '${req.id}' must be an object.`;
		}
		if (req.dependsOn !== undefined) {
			if (
				!Array.isArray(req.dependsOn) ||
				req.dependsOn.some((d) => typeof d !== 'string' || !seen.has(d))
			) {
				return `Invalid dependsOn in request '${req.id}': it may only name requests that come before it.`;
			}
		}
		seen.add(req.id);
	}
	return requests as InnerRequest[];
}

function isSuccess(status: number | undefined): boolean {
	return status !== undefined && status >= 200 && status < 300;
}

/** Inner responses carry the entity headers; the per-request ids belong to the envelope. */
function innerHeaders(headers: Record<string, string>): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [k, v] of Object.entries(headers)) {
		if (k.toLowerCase() !== 'request-id' && k.toLowerCase() !== 'client-request-id') out[k] = v;
	}
	return out;
}

/** A random permutation that is guaranteed to differ from the order sent (when there are two or more). */
function shuffled<T>(items: T[]): T[] {
	const out = [...items];
	for (let i = out.length - 1; i > 0; i--) {
		const j = Math.floor(Math.random() * (i + 1));
		[out[i], out[j]] = [out[j], out[i]];
	}
	if (out.length > 1 && out.every((x, i) => x === items[i])) out.push(out.shift()!);
	return out;
}
