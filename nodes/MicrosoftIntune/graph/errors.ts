import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { WRITE_PERMISSION } from '../../../credentials/clouds';
import type { GraphAnswer, GraphRequest } from './request';

interface GraphErrorBody {
	error?: {
		code?: string;
		message?: string;
		innerError?: { 'request-id'?: string };
	};
}

/** What a user can do about a status, where Graph's own message does not say it. */
const HINTS: Record<number, string> = {
	400: 'Graph refused the request as sent: check the values of this item.',
	401: 'The token was refused even after a fresh one was fetched: reconnect the credential or check its tenant and cloud.',
	403: `The app or the signed-in user lacks the Graph permission ${WRITE_PERMISSION} (or admin consent for it), or an Intune role.`,
	404: 'No such policy or user status: check the ids (they may have been deleted, or belong to another tenant).',
	405: 'This tenant does not allow this operation on user statuses (they are report rows computed by Intune).',
	429: 'Intune throttled the app for longer than the node was allowed to wait: lower the write budget or raise Max Total Wait in the options.',
};

/** Names the request without its query string, which may hold search text. */
export function describeRequest(
	request: Pick<GraphRequest, 'method' | 'apiVersion' | 'path'>,
): string {
	return `${request.method} /${request.apiVersion}${request.path.split('?')[0]}`;
}

/**
 * A Graph error as n8n shows it: the Graph `error.code` and `error.message` first, then status,
 * request-id and what was tried. Built only from Graph's answer, so no request header (and so no token)
 * can reach it.
 */
export function graphError(
	node: INode,
	answer: GraphAnswer,
	request: Pick<GraphRequest, 'method' | 'apiVersion' | 'path'>,
	details: { itemIndex?: number; attempts?: number; prefix?: string } = {},
): NodeApiError {
	const graph = (answer.body as GraphErrorBody | undefined)?.error;
	const code = graph?.code ?? `HTTP ${answer.status}`;
	const message =
		graph?.message ??
		(typeof answer.body === 'string' && answer.body ? answer.body : 'no error message');
	const requestId = answer.headers['request-id'] ?? graph?.innerError?.['request-id'];
	const clientRequestId = answer.headers['client-request-id'];
	const description = [
		details.prefix,
		answer.status
			? `${describeRequest(request)} answered ${answer.status}.`
			: `${describeRequest(request)} got no answer.`,
		details.attempts && details.attempts > 1 ? `Tried ${details.attempts} times.` : undefined,
		HINTS[answer.status],
		requestId ? `request-id: ${requestId}` : undefined,
		clientRequestId ? `client-request-id: ${clientRequestId}` : undefined,
	]
		.filter(Boolean)
		.join(' ');
	const error = new NodeApiError(
		node,
		{
			status: answer.status,
			code,
			message,
			requestId: requestId ?? null,
		} as JsonObject,
		{
			message: `${code}: ${message}`,
			description,
			httpCode: answer.status ? String(answer.status) : undefined,
			itemIndex: details.itemIndex,
		},
	);
	// n8n replaces the message for some status codes; Graph's own words are more precise.
	error.message = `${code}: ${message}`;
	return error;
}

/**
 * A request that could not be sent or repeated: n8n could not authenticate it (no token could be had,
 * the OAuth2 connection must be renewed). Its own words first, then which request it was.
 */
export function unsentError(
	node: INode,
	reason: { message: string; description?: string },
	request: Pick<GraphRequest, 'method' | 'apiVersion' | 'path'>,
	itemIndex: number,
): NodeApiError {
	const description = [reason.description, `${describeRequest(request)} was not completed.`]
		.filter(Boolean)
		.join(' ');
	const error = new NodeApiError(node, { message: reason.message } as JsonObject, {
		message: reason.message,
		description,
		itemIndex,
	});
	error.message = reason.message;
	return error;
}
