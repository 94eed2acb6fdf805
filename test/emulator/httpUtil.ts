// Small HTTP helpers shared by the Graph, identity and control handlers.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphResponse } from './types.ts';

export const GRAPH_JSON =
	'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export function newGuid(): string {
	return randomUUID();
}

/** Graph's innerError date: ISO 8601 without fraction, e.g. 2024-05-01T10:00:00 */
export function graphErrorDate(now = new Date()): string {
	return now.toISOString().slice(0, 19);
}

/** Graph error response in the exact shape Graph uses; request-id/client-request-id filled in later by finishGraphResponse. */
export function graphError(
	status: number,
	code: string,
	message: string,
	headers: Record<string, string> = {},
): GraphResponse {
	return { status, headers, body: { error: { code, message, innerError: {} } } };
}

/** Default Graph error code for a status (used for injected faults without a body). */
export function graphErrorCode(status: number): string {
	const codes: Record<number, string> = {
		400: 'BadRequest',
		401: 'InvalidAuthenticationToken',
		403: 'Forbidden',
		404: 'ResourceNotFound',
		405: 'MethodNotAllowed',
		409: 'Conflict',
		412: 'PreconditionFailed',
		423: 'Locked',
		429: 'TooManyRequests',
		500: 'InternalServerError',
		502: 'BadGateway',
		503: 'ServiceUnavailable',
		504: 'GatewayTimeout',
	};
	return codes[status] ?? (status >= 500 ? 'UnknownError' : 'BadRequest');
}

/**
 * Adds the ids every Graph response carries: request-id (new), client-request-id (echoed, or the
 * request-id like Graph does), and fills innerError of error bodies with them.
 */
export function finishGraphResponse(
	res: GraphResponse,
	clientRequestId: string | undefined,
): GraphResponse {
	const requestId = newGuid();
	const clientId = clientRequestId ?? requestId;
	const headers: Record<string, string> = {
		'request-id': requestId,
		'client-request-id': clientId,
		'OData-Version': '4.0',
		...res.headers,
	};
	if (res.body !== undefined && typeof res.body !== 'string' && !hasHeader(headers, 'content-type'))
		headers['Content-Type'] = GRAPH_JSON;
	const err = (res.body as { error?: { innerError?: Record<string, string> } } | undefined)?.error;
	if (err && err.innerError && Object.keys(err.innerError).length === 0) {
		err.innerError = {
			date: graphErrorDate(),
			'request-id': requestId,
			'client-request-id': clientId,
		};
	}
	return { ...res, headers };
}

export function hasHeader(headers: Record<string, string>, name: string): boolean {
	return Object.keys(headers).some((h) => h.toLowerCase() === name);
}

export function lowerHeaders(
	raw: Record<string, unknown> | undefined,
): Record<string, string | undefined> {
	const out: Record<string, string | undefined> = {};
	for (const [k, v] of Object.entries(raw ?? {})) {
		out[k.toLowerCase()] = Array.isArray(v)
			? v.join(', ')
			: v === undefined
				? undefined
				: String(v);
	}
	return out;
}

export function readBody(req: IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}

/** Parses a JSON body; empty → undefined; not JSON → the raw text with invalid: true. */
export function parseJsonBody(text: string): { body?: unknown; invalid?: boolean } {
	if (text.trim() === '') return {};
	try {
		return { body: JSON.parse(text) };
	} catch {
		return { body: text, invalid: true };
	}
}

/** Writes a GraphResponse-like value: objects as JSON, strings as they are, undefined as an empty body. */
export function writeResponse(res: ServerResponse, out: GraphResponse): void {
	const payload =
		out.body === undefined
			? ''
			: typeof out.body === 'string'
				? out.body
				: JSON.stringify(out.body);
	const headers: Record<string, string> = { ...out.headers };
	if (payload && !hasHeader(headers, 'content-type')) {
		headers['Content-Type'] =
			typeof out.body === 'string'
				? 'text/plain; charset=utf-8'
				: 'application/json; charset=utf-8';
	}
	res.writeHead(out.status, headers);
	res.end(payload);
}

export function json(
	status: number,
	body: unknown,
	headers: Record<string, string> = {},
): GraphResponse {
	return {
		status,
		headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
		body,
	};
}

export function delay(ms: number): Promise<void> {
	return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}
