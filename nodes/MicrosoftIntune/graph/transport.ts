import { randomUUID } from 'node:crypto';
import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
} from 'n8n-workflow';

import { resolveCloud } from '../../../credentials/clouds';
import type { ApiVersion, GraphAnswer, HttpMethod } from './request';
import { lowerCaseHeaders } from './request';

export type GraphFunctions = IExecuteFunctions | ILoadOptionsFunctions;

/** The node's `authentication` parameter names which credential type signs the requests. */
export const credentialTypeOf = (authentication: unknown) =>
	authentication === 'servicePrincipal'
		? 'microsoftIntuneServicePrincipalApi'
		: 'microsoftIntuneOAuth2Api';

/**
 * Thrown when no Graph answer can be had: the network failed, or a 401 persisted after n8n refreshed
 * the token. Carries only what is safe to show (never the request, so never its Authorization header).
 */
export class TransportError extends Error {
	constructor(
		message: string,
		/** Graph's answer, where there was one (a 401 that outlived the token refresh). */
		readonly answer: GraphAnswer | undefined,
		/** Whether trying again may help: a network failure may pass, a credential problem will not. */
		readonly retryable: boolean,
		/** What to do about it, where the cause said. */
		readonly description?: string,
	) {
		super(message);
	}
}

/** The one place that turns a relative Graph request into HTTP, with n8n's authentication. */
export interface GraphTransport {
	readonly graphBaseUrl: string;
	send(
		method: HttpMethod,
		apiVersion: ApiVersion,
		path: string,
		body?: IDataObject,
	): Promise<GraphAnswer>;
}

export async function createTransport(fn: GraphFunctions): Promise<GraphTransport> {
	const credentialType = credentialTypeOf(fn.getNode().parameters.authentication);
	const credentials = await fn.getCredentials(credentialType);
	const { graphBaseUrl } = resolveCloud(credentials);

	return {
		graphBaseUrl,
		async send(method, apiVersion, path, body) {
			const options: IHttpRequestOptions = {
				method,
				url: `${graphBaseUrl}/${apiVersion}${path}`,
				headers: {
					accept: 'application/json',
					'client-request-id': randomUUID(),
				},
				json: true,
				returnFullResponse: true,
				// Every status comes back as an answer, except 401: n8n must see that one to refresh the
				// token (OAuth2 refresh token, or the service principal's preAuthentication) and retry once.
				ignoreHttpStatusErrors: { ignore: true, except: [401] },
			};
			if (body !== undefined) {
				options.body = body;
				options.headers!['content-type'] = 'application/json';
			}
			try {
				const response = (await fn.helpers.httpRequestWithAuthentication.call(
					fn,
					credentialType,
					options,
				)) as { body: unknown; headers: unknown; statusCode: number };
				return {
					status: response.statusCode,
					headers: lowerCaseHeaders(response.headers),
					body: response.body === '' ? undefined : response.body,
				};
			} catch (error) {
				throw toTransportError(error);
			}
		},
	};
}

/** Error codes of a connection that failed or broke: trying again may get an answer. */
const NETWORK_ERRORS = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'ECONNABORTED',
	'ETIMEDOUT',
	'EPIPE',
	'EAI_AGAIN',
	'ENOTFOUND',
	'ENETUNREACH',
	'EHOSTUNREACH',
	'UND_ERR_SOCKET',
]);

interface Failure {
	message?: string;
	description?: string | null;
	httpCode?: string | null;
	isAxiosError?: boolean;
	code?: string;
	response?: { status?: number; headers?: unknown; data?: unknown };
	cause?: Failure;
	context?: { data?: unknown };
}

/**
 * n8n wraps what failed in a NodeApiError whose cause is the original: the HTTP client's error (whose
 * request holds the Authorization header, so only its answer is kept), or what stopped the request
 * before it went out (a token that could not be had, an OAuth2 connection to renew).
 */
function toTransportError(error: unknown): TransportError {
	const wrapper = error as Failure;
	const failure = wrapper.cause ?? wrapper;
	const status =
		failure.response?.status ?? (wrapper.httpCode ? Number(wrapper.httpCode) : undefined);
	if (status && Number.isFinite(status)) {
		const answer = {
			status,
			headers: lowerCaseHeaders(failure.response?.headers),
			body: failure.response?.data ?? wrapper.context?.data,
		};
		return new TransportError(`Graph answered ${status}`, answer, false);
	}
	if (failure.isAxiosError || NETWORK_ERRORS.has(failure.code ?? '')) {
		const reason = failure.code ?? failure.message ?? 'connection failed';
		return new TransportError(`No answer from Microsoft Graph (${reason})`, undefined, true);
	}
	return new TransportError(
		failure.message ?? wrapper.message ?? 'The request could not be sent',
		undefined,
		false,
		failure.description ?? undefined,
	);
}
