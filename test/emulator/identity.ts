// Microsoft identity platform (v2.0 endpoints) for one tenant: OpenID discovery, the token endpoint
// (client credentials with secret or certificate, refresh token, authorization code) and a sandbox
// authorize endpoint that signs the user in at once.
import { createHash } from 'node:crypto';
import { JWT_BEARER, verifyClientAssertion } from './assertion.ts';
import { json, newGuid } from './httpUtil.ts';
import type { EmulatorState, RegisteredApp } from './state.ts';
import type { GraphResponse, LoggedTokenRequest } from './types.ts';

export interface IdentityRequest {
	method: string;
	pathname: string;
	search: URLSearchParams;
	headers: Record<string, string | undefined>;
	bodyText: string;
	origin: string;
}

const IDENTITY_PATH =
	/^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|\.well-known\/openid-configuration|oauth2\/v2\.0\/token|oauth2\/v2\.0\/authorize|discovery\/(?:v2\.0\/)?keys)\/?$/i;
const MULTI_TENANT = new Set(['common', 'organizations']);
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const GRANTS = new Set(['client_credentials', 'refresh_token', 'authorization_code']);

export function isIdentityPath(pathname: string): boolean {
	return IDENTITY_PATH.test(pathname);
}

/** An identity-platform error in Entra's shape; `code` is the AADSTS number. */
class IdentityError extends Error {
	status: number;
	error: string;
	code: number;
	constructor(status: number, error: string, code: number, message: string) {
		super(message);
		this.status = status;
		this.error = error;
		this.code = code;
	}
}

const missingParameter = (name: string) =>
	new IdentityError(
		400,
		'invalid_request',
		900144,
		`The request body must contain the following parameter: '${name}'.`,
	);

function tenantNotFound(tenant: string): IdentityError {
	return new IdentityError(
		400,
		'invalid_request',
		90002,
		`Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
	);
}

/** Entra timestamps look like 2024-05-01 10:00:00Z. */
function entraTimestamp(): string {
	return new Date()
		.toISOString()
		.replace('T', ' ')
		.replace(/\.\d+Z$/, 'Z');
}

function errorResponse(
	req: IdentityRequest,
	e: IdentityError,
	correlationId: string,
): GraphResponse {
	const traceId = newGuid();
	const timestamp = entraTimestamp();
	return json(
		e.status,
		{
			error: e.error,
			error_description: `AADSTS${e.code}: ${e.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
			error_codes: [e.code],
			timestamp,
			trace_id: traceId,
			correlation_id: correlationId,
			error_uri: `${req.origin}/error?code=${e.code}`,
		},
		{
			'Cache-Control': 'no-store, no-cache',
			Pragma: 'no-cache',
			'x-ms-request-id': traceId,
			'client-request-id': correlationId,
		},
	);
}

export function handleIdentity(state: EmulatorState, req: IdentityRequest): GraphResponse {
	const [, tenant, endpoint] = IDENTITY_PATH.exec(req.pathname)!;
	const kind = endpoint.toLowerCase();
	const correlationId =
		req.headers['client-request-id'] ?? req.search.get('client-request-id') ?? newGuid();
	if (kind === 'oauth2/v2.0/token') return tokenEndpoint(state, req, tenant, correlationId);
	try {
		if (!state.isTenant(tenant) && !MULTI_TENANT.has(tenant.toLowerCase()))
			throw tenantNotFound(tenant);
		if (req.method !== 'GET')
			throw new IdentityError(
				405,
				'invalid_request',
				900561,
				`The endpoint only accepts GET requests. Received a ${req.method} request.`,
			);
		if (kind === 'oauth2/v2.0/authorize') return authorize(state, req);
		if (kind.startsWith('discovery')) return json(200, { keys: [] }); // access tokens are opaque: nothing to publish
		return json(200, openIdConfiguration(state, req.origin));
	} catch (e) {
		if (e instanceof IdentityError) return errorResponse(req, e, correlationId);
		throw e;
	}
}

/** OpenID Connect discovery, with endpoints on the origin the client used (MSAL checks the issuer's origin). */
export function openIdConfiguration(state: EmulatorState, origin: string): Record<string, unknown> {
	const t = state.tenantId;
	return {
		token_endpoint: `${origin}/${t}/oauth2/v2.0/token`,
		token_endpoint_auth_methods_supported: [
			'client_secret_post',
			'private_key_jwt',
			'client_secret_basic',
		],
		jwks_uri: `${origin}/${t}/discovery/v2.0/keys`,
		response_modes_supported: ['query', 'fragment', 'form_post'],
		subject_types_supported: ['pairwise'],
		id_token_signing_alg_values_supported: ['RS256'],
		response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
		scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
		issuer: `${origin}/${t}/v2.0`,
		request_uri_parameter_supported: false,
		userinfo_endpoint: `${origin}/oidc/userinfo`,
		authorization_endpoint: `${origin}/${t}/oauth2/v2.0/authorize`,
		device_authorization_endpoint: `${origin}/${t}/oauth2/v2.0/devicecode`,
		http_logout_supported: true,
		frontchannel_logout_supported: true,
		end_session_endpoint: `${origin}/${t}/oauth2/v2.0/logout`,
		claims_supported: [
			'sub',
			'iss',
			'aud',
			'exp',
			'iat',
			'auth_time',
			'acr',
			'nonce',
			'preferred_username',
			'name',
			'tid',
			'ver',
			'at_hash',
			'c_hash',
			'email',
		],
		tenant_region_scope: 'EU',
		cloud_instance_name: 'emulator.local',
		cloud_graph_host_name: new URL(origin).host,
		msgraph_host: new URL(origin).host,
		rbac_url: origin,
	};
}

// ---- token endpoint ----

/** The header of a compact JWT, or undefined if it is not one. */
function jwtHeader(token: string): Record<string, unknown> | undefined {
	try {
		return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
	} catch {
		return undefined;
	}
}

function tokenEndpoint(
	state: EmulatorState,
	req: IdentityRequest,
	tenant: string,
	correlationId: string,
): GraphResponse {
	const form = new URLSearchParams(req.bodyText);
	const basic = parseBasicAuth(req.headers.authorization);
	const grantType = form.get('grant_type') ?? '';
	const clientId = form.get('client_id') ?? basic?.clientId;
	const assertion = form.get('client_assertion');
	const entry: LoggedTokenRequest = {
		grantType,
		clientId,
		status: 0,
		time: Date.now(),
		tenant,
		origin: req.origin,
		clientAuthentication: assertion
			? 'assertion'
			: form.get('client_secret') || basic?.secret
				? 'secret'
				: 'none',
		assertionHeader: assertion ? jwtHeader(assertion) : undefined,
	};
	state.tokenRequests.push(entry);
	let res: GraphResponse;
	try {
		res = issueForGrant(state, req, form, basic, tenant, grantType, clientId);
	} catch (e) {
		if (!(e instanceof IdentityError)) throw e;
		entry.error = e.error;
		entry.errorCode = `AADSTS${e.code}`;
		res = errorResponse(req, e, correlationId);
	}
	res.headers['client-request-id'] ??= correlationId;
	entry.status = res.status;
	return res;
}

function issueForGrant(
	state: EmulatorState,
	req: IdentityRequest,
	form: URLSearchParams,
	basic: { clientId: string; secret: string } | undefined,
	tenant: string,
	grantType: string,
	clientId: string | undefined,
): GraphResponse {
	// Multi-tenant authorities only make sense for delegated (user) grants.
	if (
		!state.isTenant(tenant) &&
		!(MULTI_TENANT.has(tenant.toLowerCase()) && grantType !== 'client_credentials')
	)
		throw tenantNotFound(tenant);
	if (req.method !== 'POST')
		throw new IdentityError(
			405,
			'invalid_request',
			900561,
			`The endpoint only accepts POST requests. Received a ${req.method} request.`,
		);
	if (!grantType) throw missingParameter('grant_type');
	if (!GRANTS.has(grantType))
		throw new IdentityError(
			400,
			'unsupported_grant_type',
			70003,
			`The app requested an unsupported grant type '${grantType}'.`,
		);
	if (!clientId) throw missingParameter('client_id');
	const app = state.app(clientId);
	if (!app) {
		throw new IdentityError(
			400,
			'unauthorized_client',
			700016,
			`Application with identifier '${clientId}' was not found in the directory '${state.tenantDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
		);
	}
	authenticateClient(state, form, basic, app);

	const lifetime = state.config.tokenLifetimeSeconds;
	const scope = form.get('scope');
	if (grantType === 'client_credentials') {
		if (!scope) throw missingParameter('scope');
		const scopes = scope.split(/\s+/).filter(Boolean);
		if (scopes.length !== 1 || !isDefaultScope(state, scopes[0])) {
			throw new IdentityError(
				400,
				'invalid_scope',
				70011,
				`The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope '${scope}' is not valid: client credential flows need exactly one scope, the Graph base URL followed by /.default (e.g. '${[...state.origins].find((o) => o.startsWith('https://localhost')) ?? [...state.origins][0]}/.default').`,
			);
		}
		return tokenResponse({
			token_type: 'Bearer',
			expires_in: lifetime,
			ext_expires_in: lifetime,
			access_token: state.tokens.issueAccessToken(app.clientId, 'app', lifetime),
		});
	}

	let grantedScope: string;
	if (grantType === 'authorization_code') {
		grantedScope = redeemAuthCode(state, form, app);
		if (scope) grantedScope = delegatedScope(state, scope);
	} else {
		const refreshToken = form.get('refresh_token');
		if (!refreshToken) throw missingParameter('refresh_token');
		const info = state.tokens.refreshTokenInfo(refreshToken);
		if (!info || info.clientId.toLowerCase() !== app.clientId.toLowerCase()) {
			throw new IdentityError(
				400,
				'invalid_grant',
				70000,
				"The provided value for the 'refresh_token' parameter is not valid. The refresh token is malformed, unknown or was issued to another application.",
			);
		}
		grantedScope = scope ? delegatedScope(state, scope) : info.scope;
	}
	return tokenResponse(userTokenBody(state, app.clientId, grantedScope));
}

/** Delegated tokens for a signed-in sandbox user (also used by Emulator.issueUserTokens). */
export function userTokenBody(state: EmulatorState, clientId: string, scope: string) {
	const lifetime = state.config.tokenLifetimeSeconds;
	return {
		token_type: 'Bearer' as const,
		scope,
		expires_in: lifetime,
		ext_expires_in: lifetime,
		access_token: state.tokens.issueAccessToken(clientId, 'user', lifetime),
		refresh_token: state.tokens.issueRefreshToken(clientId, scope),
	};
}

function tokenResponse(body: Record<string, unknown>): GraphResponse {
	return json(200, body, {
		'Cache-Control': 'no-store, no-cache',
		Pragma: 'no-cache',
		'x-ms-request-id': newGuid(),
	});
}

function parseBasicAuth(
	header: string | undefined,
): { clientId: string; secret: string } | undefined {
	const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
	if (!m) return undefined;
	const decoded = Buffer.from(m[1], 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0) return undefined;
	// RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
	const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
	return { clientId: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
}

function authenticateClient(
	state: EmulatorState,
	form: URLSearchParams,
	basic: { secret: string } | undefined,
	app: RegisteredApp,
): void {
	const assertionType = form.get('client_assertion_type');
	const assertion = form.get('client_assertion');
	const secret = form.get('client_secret') ?? basic?.secret;
	if (assertionType !== null || assertion !== null) {
		if (assertionType !== JWT_BEARER) {
			throw new IdentityError(
				401,
				'invalid_client',
				700027,
				`client_assertion_type must be '${JWT_BEARER}', got '${assertionType ?? ''}'.`,
			);
		}
		if (!assertion) throw missingParameter('client_assertion');
		if (!app.cert) {
			throw new IdentityError(
				401,
				'invalid_client',
				700027,
				`The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The application '${app.clientId}' has no certificate credentials.]`,
			);
		}
		const failure = verifyClientAssertion({
			assertion,
			clientId: app.clientId,
			cert: app.cert,
			audiences: tokenAudiences(state),
		});
		if (failure) throw new IdentityError(401, 'invalid_client', 700027, failure);
		return;
	}
	if (secret !== null && secret !== undefined) {
		if (app.clientSecret === undefined || secret !== app.clientSecret) {
			throw new IdentityError(
				401,
				'invalid_client',
				7000215,
				`Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
			);
		}
		if (app.secretExpired) {
			throw new IdentityError(
				401,
				'invalid_client',
				7000222,
				`The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
			);
		}
		return;
	}
	throw new IdentityError(
		401,
		'invalid_client',
		7000218,
		"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
	);
}

/** Every URL a client may use as the token endpoint (and so as a client assertion's aud). */
function tokenAudiences(state: EmulatorState): Set<string> {
	const out = new Set<string>();
	for (const origin of state.origins) {
		for (const t of [state.tenantId, state.tenantDomain])
			out.add(`${origin}/${t}/oauth2/v2.0/token`.toLowerCase());
	}
	return out;
}

function isDefaultScope(state: EmulatorState, scope: string): boolean {
	return (
		scope.toLowerCase().endsWith('/.default') &&
		state.isOwnOrigin(scope.slice(0, -'/.default'.length))
	);
}

/** Validates a delegated scope list: OIDC scopes plus permissions on one of the emulator's origins. */
function delegatedScope(state: EmulatorState, scope: string): string {
	const scopes = scope.split(/\s+/).filter(Boolean);
	for (const s of scopes) {
		if (OIDC_SCOPES.has(s.toLowerCase())) continue;
		const m = /^(https?:\/\/[^/]+)\/(.+)$/i.exec(s);
		if (!m || !state.isOwnOrigin(m[1])) {
			throw new IdentityError(
				400,
				'invalid_scope',
				70011,
				`The provided value for the input parameter 'scope' is not valid. The scope '${s}' is not valid: use permissions of the Graph base URL, e.g. '${[...state.origins][0]}/DeviceManagementConfiguration.ReadWrite.All'.`,
			);
		}
	}
	return scopes.join(' ');
}

function redeemAuthCode(state: EmulatorState, form: URLSearchParams, app: RegisteredApp): string {
	const code = form.get('code');
	if (!code) throw missingParameter('code');
	const info = state.tokens.authCode(code);
	if (!info || info.clientId.toLowerCase() !== app.clientId.toLowerCase()) {
		throw new IdentityError(
			400,
			'invalid_grant',
			70000,
			"The provided value for the 'code' parameter is not valid.",
		);
	}
	if (info.redeemed)
		throw new IdentityError(
			400,
			'invalid_grant',
			54005,
			'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
		);
	if (info.expiresAt <= Date.now())
		throw new IdentityError(
			400,
			'invalid_grant',
			70008,
			'The provided authorization code or refresh token has expired due to inactivity.',
		);
	if (info.redirectUri !== undefined && form.get('redirect_uri') !== info.redirectUri) {
		throw new IdentityError(
			400,
			'invalid_grant',
			70000,
			"The 'redirect_uri' does not match the redirect URI used in the authorization request.",
		);
	}
	if (info.codeChallenge !== undefined) {
		const verifier = form.get('code_verifier');
		if (!verifier) throw missingParameter('code_verifier');
		const computed =
			info.codeChallengeMethod === 'S256'
				? createHash('sha256').update(verifier).digest('base64url')
				: verifier;
		if (computed !== info.codeChallenge)
			throw new IdentityError(
				400,
				'invalid_grant',
				50148,
				'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.',
			);
	}
	info.redeemed = true;
	return info.scope;
}

// ---- authorize: a sandbox sign-in that redirects straight back with a code ----

function authorize(state: EmulatorState, req: IdentityRequest): GraphResponse {
	const q = req.search;
	const clientId = q.get('client_id');
	if (!clientId) throw missingParameter('client_id');
	const app = state.app(clientId);
	if (!app)
		throw new IdentityError(
			400,
			'unauthorized_client',
			700016,
			`Application with identifier '${clientId}' was not found in the directory '${state.tenantDomain}'.`,
		);
	const redirectUri = q.get('redirect_uri');
	if (!redirectUri) throw missingParameter('redirect_uri');
	let target: URL;
	try {
		target = new URL(redirectUri);
	} catch {
		throw new IdentityError(
			400,
			'invalid_request',
			90102,
			`'redirect_uri' value must be a valid absolute URI.`,
		);
	}
	const clientState = q.get('state');
	if (clientState !== null) target.searchParams.set('state', clientState);
	const redirectWithError = (error: string, description: string) => {
		target.searchParams.set('error', error);
		target.searchParams.set('error_description', description);
		return { status: 302, headers: { Location: target.toString() } };
	};
	if (q.get('response_type') !== 'code')
		return redirectWithError(
			'unsupported_response_type',
			`AADSTS700054: response_type '${q.get('response_type') ?? ''}' is not enabled for the application; use 'code'.`,
		);
	let scope: string;
	try {
		scope = delegatedScope(state, q.get('scope') ?? '');
	} catch (e) {
		return redirectWithError('invalid_scope', `AADSTS70011: ${(e as Error).message}`);
	}
	const challenge = q.get('code_challenge') ?? undefined;
	const code = state.tokens.issueAuthCode({
		clientId: app.clientId,
		redirectUri,
		scope,
		codeChallenge: challenge,
		codeChallengeMethod: challenge ? (q.get('code_challenge_method') ?? 'plain') : undefined,
	});
	target.searchParams.set('code', code);
	target.searchParams.set('session_state', newGuid());
	return { status: 302, headers: { Location: target.toString() } };
}
