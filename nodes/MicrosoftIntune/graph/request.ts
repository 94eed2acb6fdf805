import type { IDataObject } from 'n8n-workflow';

export type ApiVersion = 'beta' | 'v1.0';
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * One Graph call as an operation describes it: pure data, no I/O. The executor decides whether it
 * travels alone or inside a `$batch`, when it is sent, and how often it is retried.
 */
export interface GraphRequest {
	method: HttpMethod;
	apiVersion: ApiVersion;
	/** Path below the version root, segments already encoded, query included: `/deviceManagement/...?$top=5` */
	path: string;
	body?: IDataObject;
	/** Intune often answers PATCH with 204 No Content: then GET the same path and use that answer. */
	readBackOnNoContent?: boolean;
	/** Statuses that count as success besides 2xx (delete with "already gone is fine" takes 404). */
	acceptStatuses?: number[];
}

/** What Graph answered, whether it travelled alone or inside a batch. */
export interface GraphAnswer {
	status: number;
	headers: Record<string, string>;
	body: unknown;
}

/** Builds a path from raw segments, each URL-encoded so that no id can leave its segment. */
export function graphPath(...segments: string[]): string {
	return segments.map((segment) => `/${encodeURIComponent(segment)}`).join('');
}

/** Appends OData query options; values are encoded, the `$` names are kept as Graph expects them. */
export function withQuery(
	path: string,
	query: Record<string, string | number | undefined>,
): string {
	const parts = Object.entries(query)
		.filter(([, value]) => value !== undefined && value !== '')
		.map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`);
	return parts.length ? `${path}?${parts.join('&')}` : path;
}

export const isWrite = (request: GraphRequest) => request.method !== 'GET';

/** Header names are case-insensitive; Graph's batch answers and Node's HTTP stack disagree on case. */
export function lowerCaseHeaders(headers: unknown): Record<string, string> {
	const result: Record<string, string> = {};
	if (headers && typeof headers === 'object') {
		for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
			if (value !== undefined && value !== null) {
				result[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
			}
		}
	}
	return result;
}
