// Microsoft Graph under /v1.0 and /beta: the pipeline every request goes through (log, faults, auth,
// consent, throttle) and the deviceCompliancePolicies / userStatuses routes.
import { randomBytes } from 'node:crypto';
import { handleBatch } from './batch.ts';
import {
	POLICY_TYPE,
	USER_STATUS_TYPE,
	newUserStatus,
	policyView,
	userStatusView,
	validateUserStatusBody,
} from './entities.ts';
import { finishGraphResponse, graphError, newGuid } from './httpUtil.ts';
import {
	ODataError,
	applySelect,
	parseFilter,
	parseQuery,
	parseSelect,
	type EntityType,
} from './odata.ts';
import type { EmulatorState } from './state.ts';
import { retryAfterHeader } from './throttle.ts';
import type { GraphRequest, GraphResponse, LoggedRequest, Policy, UserStatus } from './types.ts';

const VERSION_PATH = /^\/(v1\.0|beta)(?=\/|$)/i;

export function isGraphPath(pathname: string): boolean {
	return VERSION_PATH.test(pathname);
}

/**
 * Handles one Graph request (top-level or inside a $batch) synchronously and logs it. Inner batch
 * requests come back through here, so they are logged, faulted and throttled one by one.
 */
export function dispatchGraph(state: EmulatorState, req: GraphRequest): GraphResponse {
	const entry: LoggedRequest = {
		method: req.method.toUpperCase(),
		path: req.path,
		headers: req.headers,
		body: req.body,
		inBatch: req.inBatch,
		status: 0,
		time: Date.now(),
		origin: req.origin,
	};
	state.requests.push(entry);
	let res: GraphResponse;
	try {
		res = pipeline(state, req, entry);
	} catch (e) {
		res =
			e instanceof ODataError
				? graphError(400, 'BadRequest', e.message)
				: graphError(500, 'InternalServerError', `Emulator error: ${(e as Error).stack ?? e}`);
	}
	const finished = finishGraphResponse(res, req.headers['client-request-id']);
	entry.status = finished.status;
	return finished;
}

function pipeline(state: EmulatorState, req: GraphRequest, entry: LoggedRequest): GraphResponse {
	// Concatenated, not resolved: a path starting with // must stay a path.
	const url = new URL(`http://emulator.invalid${req.path.startsWith('/') ? '' : '/'}${req.path}`);
	const method = req.method.toUpperCase();
	const isEnvelope =
		!req.inBatch && method === 'POST' && /^\/(v1\.0|beta)\/\$batch$/i.test(url.pathname);
	const auth = state.tokens.check(
		req.inBatch ? req.envelopeAuthorization : req.headers.authorization,
	);
	entry.clientId = auth.info?.clientId;

	// A batch framing error: Graph rejects an inner request with a body but no Content-Type before running it.
	if (req.inBatch && req.body !== undefined && !req.headers['content-type']) {
		return graphError(
			400,
			'BadRequest',
			`Write request id : ${req.batchRequestId ?? '?'} does not contain Content-Type header or body.`,
		);
	}

	const fault = state.faults.take({ method, path: req.path, inBatch: req.inBatch, isEnvelope });
	if (fault) return fault;

	if (!auth.ok) {
		const message =
			auth.reason === 'expired'
				? 'Lifetime validation failed, the token is expired.'
				: auth.reason === 'missing'
					? 'Access token is empty.'
					: "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'.";
		return graphError(401, 'InvalidAuthenticationToken', message, {
			'WWW-Authenticate': `Bearer realm="", authorization_uri="${req.origin}/${state.tenantId}/oauth2/v2.0/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
		});
	}

	const app = state.app(auth.info.clientId);
	if (app && app.consented === false) {
		return graphError(
			403,
			'Forbidden',
			`Application is not authorized to perform this operation. Application must have one of the following scopes: DeviceManagementConfiguration.ReadWrite.All - Operation ID (for customer support): ${newGuid()}`,
		);
	}

	if (!isEnvelope) {
		const decision = state.throttle.admit(state.config.throttle, auth.info.clientId, method);
		if (!decision.allowed) {
			const seconds = (decision.retryAfterMs / 1000).toFixed(3);
			return graphError(
				429,
				'TooManyRequests',
				`Too many requests: application ${auth.info.clientId} used its ${decision.budget} budget of ${decision.limit} per ${state.config.throttle.windowMs / 1000} s for this tenant. Retry after ${seconds} s.`,
				retryAfterHeader(state.config.throttle.retryAfter, decision.retryAfterMs),
			);
		}
	}

	if (req.bodyInvalid) return graphError(400, 'BadRequest', 'Invalid JSON in the request body.');
	if (isEnvelope) return handleBatch(state, req, (inner) => dispatchGraph(state, inner));
	return route(state, req, url, method);
}

// ---- routes ----

interface RouteContext {
	state: EmulatorState;
	req: GraphRequest;
	url: URL;
	version: string;
	method: string;
}

function route(state: EmulatorState, req: GraphRequest, url: URL, method: string): GraphResponse {
	const m = VERSION_PATH.exec(url.pathname);
	if (!m) return graphError(400, 'BadRequest', `Invalid version in '${url.pathname}'.`);
	const ctx: RouteContext = { state, req, url, version: m[1].toLowerCase(), method };
	let segments: string[];
	try {
		segments = url.pathname.slice(m[0].length).split('/').filter(Boolean).map(decodeURIComponent);
	} catch {
		return graphError(
			400,
			'BadRequest',
			`The path '${url.pathname}' is not valid percent-encoding.`,
		);
	}
	const is = (i: number, name: string) => segments[i]?.toLowerCase() === name.toLowerCase();

	if (segments.length >= 2 && is(0, 'deviceManagement') && is(1, 'deviceCompliancePolicies')) {
		if (segments.length === 2) return allow(ctx, ['GET'], () => listPolicies(ctx));
		const policy = state.data.policies.find(
			(p) => p.id.toLowerCase() === segments[2].toLowerCase(),
		);
		if (segments.length >= 4 && !is(3, 'userStatuses')) return unknownSegment(segments[3]);
		if (!policy)
			return graphError(
				404,
				'ResourceNotFound',
				`The deviceCompliancePolicy with id '${segments[2]}' was not found.`,
			);
		if (segments.length === 3) return allow(ctx, ['GET'], () => getPolicy(ctx, policy));
		// A policy a test pushed into data.policies without statuses gets an empty list.
		if (!state.data.userStatuses.has(policy.id)) state.data.userStatuses.set(policy.id, []);
		const statuses = state.data.userStatuses.get(policy.id)!;
		if (segments.length === 4) {
			return allow(ctx, ['GET', 'POST'], () =>
				method === 'GET'
					? listStatuses(ctx, policy.id, statuses)
					: createStatus(ctx, policy.id, statuses),
			);
		}
		if (segments.length === 5) {
			const index = statuses.findIndex((s) => s.id.toLowerCase() === segments[4].toLowerCase());
			return allow(ctx, ['GET', 'PATCH', 'DELETE'], () => {
				if (index < 0)
					return graphError(
						404,
						'ResourceNotFound',
						`The deviceComplianceUserStatus with id '${segments[4]}' was not found in policy '${policy.id}'.`,
					);
				if (method === 'GET') return getStatus(ctx, policy.id, statuses[index]);
				if (method === 'PATCH') return patchStatus(ctx, policy.id, statuses, index);
				statuses.splice(index, 1);
				return { status: 204, headers: {} };
			});
		}
		return unknownSegment(segments[5]);
	}
	if (segments.length === 1 && segments[0] === '$batch') {
		return req.inBatch
			? graphError(400, 'BadRequest', 'Nested $batch requests are not supported.')
			: allow(ctx, ['POST'], () => unknownSegment('$batch'));
	}
	return unknownSegment(
		segments.find((s, i) => !(i === 0 && /^deviceManagement$/i.test(s))) ?? segments[0] ?? '',
	);
}

function allow(ctx: RouteContext, methods: string[], handler: () => GraphResponse): GraphResponse {
	if (!methods.includes(ctx.method)) {
		return graphError(
			405,
			'MethodNotAllowed',
			`The HTTP method '${ctx.method}' is not allowed on '${ctx.url.pathname}'. Allowed: ${methods.join(', ')}.`,
			{ Allow: methods.join(', ') },
		);
	}
	return handler();
}

function unknownSegment(segment: string): GraphResponse {
	return graphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
}

function metadataUrl(ctx: RouteContext, fragment: string): string {
	return `${ctx.req.origin}/${ctx.version}/$metadata#${fragment}`;
}

const POLICIES_CONTEXT = 'deviceManagement/deviceCompliancePolicies';

function statusesContext(policyId: string): string {
	return `deviceManagement/deviceCompliancePolicies('${policyId}')/userStatuses`;
}

function listPolicies(ctx: RouteContext): GraphResponse {
	return listPage(ctx, ctx.state.data.policies.map(policyView), POLICY_TYPE, POLICIES_CONTEXT);
}

function getPolicy(ctx: RouteContext, policy: Policy): GraphResponse {
	const query = parseQuery(ctx.url.searchParams, POLICY_TYPE, false);
	return {
		status: 200,
		headers: {},
		body: {
			'@odata.context': metadataUrl(ctx, `${POLICIES_CONTEXT}/$entity`),
			...applySelect(policyView(policy), query.select),
		},
	};
}

function listStatuses(
	ctx: RouteContext,
	policyId: string,
	statuses: readonly UserStatus[],
): GraphResponse {
	return listPage(ctx, statuses.map(userStatusView), USER_STATUS_TYPE, statusesContext(policyId));
}

function getStatus(ctx: RouteContext, policyId: string, status: UserStatus): GraphResponse {
	const query = parseQuery(ctx.url.searchParams, USER_STATUS_TYPE, false);
	return {
		status: 200,
		headers: {},
		body: {
			'@odata.context': metadataUrl(ctx, `${statusesContext(policyId)}/$entity`),
			...applySelect(userStatusView(status), query.select),
		},
	};
}

function createStatus(ctx: RouteContext, policyId: string, statuses: UserStatus[]): GraphResponse {
	const props = validateUserStatusBody(ctx.req.body, 'create');
	const created = newUserStatus(newGuid(), props);
	statuses.push(created);
	return {
		status: 201,
		headers: {
			Location: `${ctx.req.origin}/${ctx.version}/deviceManagement/deviceCompliancePolicies('${policyId}')/userStatuses('${created.id}')`,
		},
		body: {
			'@odata.context': metadataUrl(ctx, `${statusesContext(policyId)}/$entity`),
			...userStatusView(created),
		},
	};
}

function patchStatus(
	ctx: RouteContext,
	policyId: string,
	statuses: UserStatus[],
	index: number,
): GraphResponse {
	const props = validateUserStatusBody(ctx.req.body, 'update', statuses[index].id);
	statuses[index] = userStatusView({ ...statuses[index], ...props });
	if (ctx.state.config.patchStatus === 204) return { status: 204, headers: {} };
	return {
		status: 200,
		headers: {},
		body: {
			'@odata.context': metadataUrl(ctx, `${statusesContext(policyId)}/$entity`),
			...userStatusView(statuses[index]),
		},
	};
}

/** Page size for a first page under the configured $top handling. */
function firstPageSize(top: number | undefined, ctx: RouteContext): number {
	const { pageSize, topMode } = ctx.state.config;
	if (top === undefined || topMode === 'ignore') return pageSize;
	return topMode === 'cap' ? Math.min(top, pageSize) : top;
}

/**
 * One page of a collection. The $skiptoken is an opaque key into server-side page state, so a
 * client cannot build one; the next link is absolute, on the request's origin unless nextLinkOrigin says otherwise.
 */
function listPage(
	ctx: RouteContext,
	items: object[],
	type: EntityType,
	contextPath: string,
): GraphResponse {
	const query = parseQuery(ctx.url.searchParams, type, true);
	const scope = ctx.url.pathname.toLowerCase();
	let offset = 0;
	let pageSize: number;
	let filter = query.filter;
	let select = query.select;
	let raw = query.raw;
	if (query.skiptoken !== undefined) {
		const saved = ctx.state.skiptokens.get(query.skiptoken);
		if (!saved || saved.scope !== scope)
			throw new ODataError(`The $skiptoken '${query.skiptoken}' is invalid or has expired.`);
		offset = saved.offset;
		pageSize = saved.pageSize;
		raw = { filter: saved.filter, select: saved.select };
		filter = saved.filter !== undefined ? parseFilter(saved.filter, type) : undefined;
		select = saved.select !== undefined ? parseSelect(saved.select, type) : undefined;
	} else {
		pageSize = firstPageSize(query.top, ctx);
	}
	const matching = filter ? items.filter((e) => filter(e as Record<string, unknown>)) : items;
	const pageItems = matching.slice(offset, offset + pageSize);
	const selectSuffix = select ? `(${select.join(',')})` : '';
	const body: Record<string, unknown> = {
		'@odata.context': metadataUrl(ctx, contextPath + selectSuffix),
	};
	if (pageSize > 0 && offset + pageSize < matching.length) {
		const token = randomBytes(18).toString('base64url');
		ctx.state.skiptokens.set(token, {
			scope,
			offset: offset + pageSize,
			pageSize,
			filter: raw.filter,
			select: raw.select,
		});
		const origin = ctx.state.config.nextLinkOrigin ?? ctx.req.origin;
		body['@odata.nextLink'] = `${origin}${ctx.url.pathname}?$skiptoken=${token}`;
	}
	body.value = pageItems.map((e) => applySelect(e, select));
	return { status: 200, headers: {}, body };
}
