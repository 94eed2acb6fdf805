// Public and internal types of the Microsoft Graph + identity platform emulator.
// Type-only module: import it with `import type` so Node's type stripping leaves nothing behind.

export interface EmulatorOptions {
	/** Also listen with HTTPS (server certificate from a test CA generated at start). Default false. */
	https?: boolean;
	/** Default 3 policies x 25 statuses; ids (GUID format) and names are deterministic. */
	seed?: { policies?: number; statusesPerPolicy?: number };
	/** Default DEFAULT_TENANT_ID; the domain 'contoso.onmicrosoft.com' works as tenant too. */
	tenantId?: string;
	port?: number;
	httpsPort?: number;
}

export interface ThrottleConfig {
	enabled: boolean;
	writesPerWindow: number;
	requestsPerWindow: number;
	windowMs: number;
	retryAfter: 'seconds' | 'decimal' | 'none';
}

export interface EmulatorConfig {
	patchStatus: 200 | 204;
	pageSize: number;
	topMode: 'honour' | 'cap' | 'ignore';
	nextLinkOrigin?: string;
	shuffleBatchResponses: boolean;
	latencyMs: number;
	throttle: ThrottleConfig;
	tokenLifetimeSeconds: number;
}

/** A partial config where `throttle` may be partial too (it is merged, not replaced). */
export type EmulatorConfigPatch = Partial<Omit<EmulatorConfig, 'throttle'>> & {
	throttle?: Partial<ThrottleConfig>;
};

export interface Fault {
	method?: string;
	/** Case-insensitive substring of the request path (version prefix and query included). */
	pathIncludes?: string;
	status: number;
	headers?: Record<string, string>;
	/** Response body; default a Graph error body named after the status. `null` sends no body. */
	body?: unknown;
	times?: number;
	inBatchOnly?: boolean;
	envelopeOnly?: boolean;
}

export interface LoggedRequest {
	method: string;
	/** Without origin, e.g. /beta/deviceManagement/... including the query. */
	path: string;
	headers: Record<string, string | undefined>;
	body?: unknown;
	inBatch: boolean;
	status: number;
	time: number;
	clientId?: string;
	origin: string;
}

export interface LoggedTokenRequest {
	grantType: string;
	clientId?: string;
	status: number;
	/** OAuth error, e.g. 'invalid_client' (absent on success). */
	error?: string;
	/** AADSTS code, e.g. 'AADSTS7000215' (absent on success). */
	errorCode?: string;
	time: number;
	tenant: string;
	origin: string;
	/** How the client proved itself: a secret (body or Basic), a certificate assertion, or not at all. */
	clientAuthentication: 'secret' | 'assertion' | 'none';
	/** The assertion's JWT header as sent (alg, x5t#S256 or x5t, x5c...), when there was one. */
	assertionHeader?: Record<string, unknown>;
}

export interface AppRegistration {
	clientId: string;
	clientSecret?: string;
	secretExpired?: boolean;
	certificatePem?: string;
	/** Default true; false makes Graph answer 403. */
	consented?: boolean;
}

export interface Policy {
	'@odata.type': string;
	id: string;
	displayName: string;
	description: string;
	createdDateTime: string;
	lastModifiedDateTime: string;
	version: number;
}

export interface UserStatus {
	id: string;
	userDisplayName: string | null;
	devicesCount: number;
	status: string;
	lastReportedDateTime: string;
	userPrincipalName: string | null;
}

export interface EmulatorData {
	policies: Policy[];
	/** policyId → statuses of that policy. */
	userStatuses: Map<string, UserStatus[]>;
}

export interface UserTokens {
	access_token: string;
	refresh_token: string;
	expires_in: number;
	token_type: 'Bearer';
}

export interface Emulator {
	httpUrl: string;
	httpsUrl?: string;
	caCertPem?: string;
	tenantId: string;
	tenantDomain: string;
	config: EmulatorConfig;
	configure(partial: EmulatorConfigPatch): void;
	reset(): void;
	registerApp(app: AppRegistration): void;
	issueUserTokens(clientId: string): UserTokens;
	expireAllAccessTokens(): void;
	injectFaults(...faults: Fault[]): void;
	requests: LoggedRequest[];
	tokenRequests: LoggedTokenRequest[];
	data: EmulatorData;
	close(): Promise<void>;
}

// ---- internal ----

/** One Graph request as the handlers see it, whether it came over HTTP or inside a $batch. */
export interface GraphRequest {
	method: string;
	/** Path with version prefix and query, e.g. /beta/deviceManagement/deviceCompliancePolicies?$top=5 */
	path: string;
	/** Lower-cased header names. */
	headers: Record<string, string | undefined>;
	/** Parsed JSON body, or the raw text when it is not JSON; undefined when empty. */
	body?: unknown;
	/** Set when a body was sent but is not valid JSON. */
	bodyInvalid?: boolean;
	inBatch: boolean;
	/** Origin the client used, e.g. https://localhost:41235 (for next links and @odata.context). */
	origin: string;
	/** Authorization header of the $batch envelope, inherited by inner requests. */
	envelopeAuthorization?: string;
	/** The inner request's id within its $batch. */
	batchRequestId?: string;
}

export interface GraphResponse {
	status: number;
	headers: Record<string, string>;
	/** JSON-serialisable body; undefined for an empty body. */
	body?: unknown;
}
