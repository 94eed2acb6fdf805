import { randomUUID } from 'node:crypto';
import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
} from 'n8n-workflow';

import { resolveCloud } from '../../../credentials/clouds';
import { CredentialError } from '../../../credentials/msal';
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

/** n8n wraps HTTP failures in a NodeApiError whose cause is the raw client error: keep only the answer. */
function toTransportError(error: unknown): TransportError {
	const failure = error as {
		message?: string;
		httpCode?: string | null;
		cause?: {
			response?: { status?: number; headers?: unknown; data?: unknown };
			code?: string;
			name?: string;
			message?: string;
		};
		context?: { data?: unknown };
	};
	// n8n wraps what preAuthentication throws; the name survives even where classes are loaded twice.
	if (
		failure.cause?.name === CredentialError.errorName ||
		(error as Error)?.name === CredentialError.errorName
	) {
		return new TransportError(
			failure.cause?.message ?? failure.message ?? 'credential error',
			undefined,
			false,
		);
	}
	const response = failure.cause?.response;
	const status = response?.status ?? (failure.httpCode ? Number(failure.httpCode) : undefined);
	if (status && Number.isFinite(status)) {
		return new TransportError(
			`Graph answered ${status}`,
			{
				status,
				headers: lowerCaseHeaders(response?.headers),
				body: response?.data ?? failure.context?.data,
			},
			false,
		);
	}
	const reason = failure.cause?.code ?? failure.message ?? 'unknown error';
	return new TransportError(`No answer from Microsoft Graph (${reason})`, undefined, true);
}
