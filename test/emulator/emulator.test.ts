// Tests of the Graph + identity platform emulator, over real HTTP(S) on 127.0.0.1.
import {
	ConfidentialClientApplication,
	ServerError,
	type INetworkModule,
	type NetworkResponse,
} from '@azure/msal-node';
import {
	X509Certificate,
	constants,
	createHash,
	createPrivateKey,
	randomUUID,
	sign,
} from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import {
	COMPLIANCE_STATUSES,
	DEFAULT_TENANT_ID,
	deterministicGuid,
	generateTestPki,
	signClientAssertion,
	startEmulator,
	startRecorder,
	type ClientCertificate,
	type Emulator,
	type TestPki,
} from './index.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Reply {
	status: number;
	headers: http.IncomingHttpHeaders;
	text: string;
	json: any;
}

/** One HTTP(S) request without connection reuse (so nothing lingers after the tests). */
function request(
	url: string,
	opts: { method?: string; headers?: Record<string, string>; body?: unknown; ca?: string } = {},
): Promise<Reply> {
	const payload =
		opts.body === undefined
			? undefined
			: typeof opts.body === 'string'
				? opts.body
				: JSON.stringify(opts.body);
	const headers: Record<string, string> = { ...opts.headers };
	if (
		payload !== undefined &&
		!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')
	)
		headers['Content-Type'] = 'application/json';
	const lib = url.startsWith('https:') ? https : http;
	return new Promise((resolve, reject) => {
		const req = lib.request(
			url,
			{ method: opts.method ?? 'GET', headers, agent: false, ...(opts.ca ? { ca: opts.ca } : {}) },
			(res) => {
				let text = '';
				res.setEncoding('utf8');
				res.on('data', (c: string) => (text += c));
				res.on('end', () => {
					let json: any;
					try {
						json = text ? JSON.parse(text) : undefined;
					} catch {
						json = undefined;
					}
					resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
				});
			},
		);
		req.on('error', reject);
		req.end(payload);
	});
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let emu: Emulator;
let pki: TestPki;
let certA: ClientCertificate;
let certB: ClientCertificate;
let token: string;

const SECRET_APP = {
	clientId: '11111111-1111-4111-8111-111111111111',
	clientSecret: 'secret-value~1',
};
const EXPIRED_APP = {
	clientId: '22222222-2222-4222-8222-222222222222',
	clientSecret: 'old-secret',
	secretExpired: true,
};
const CERT_APP = '33333333-3333-4333-8333-333333333333';
const NO_CONSENT_APP = {
	clientId: '44444444-4444-4444-8444-444444444444',
	clientSecret: 'nc',
	consented: false,
};
const OTHER_APP = { clientId: '55555555-5555-4555-8555-555555555555', clientSecret: 'other' };

const tokenUrl = (base = emu.httpUrl, tenant = emu.tenantId) =>
	`${base}/${tenant}/oauth2/v2.0/token`;

function form(fields: Record<string, string>): { body: string; headers: Record<string, string> } {
	return {
		body: new URLSearchParams(fields).toString(),
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
	};
}

async function tokenRequest(
	fields: Record<string, string>,
	opts: { base?: string; tenant?: string; headers?: Record<string, string>; ca?: string } = {},
): Promise<Reply> {
	const f = form(fields);
	return request(tokenUrl(opts.base, opts.tenant), {
		method: 'POST',
		body: f.body,
		headers: { ...f.headers, ...opts.headers },
		ca: opts.ca,
	});
}

async function appToken(
	app: { clientId: string; clientSecret: string } = SECRET_APP,
): Promise<string> {
	const r = await tokenRequest({
		grant_type: 'client_credentials',
		client_id: app.clientId,
		client_secret: app.clientSecret,
		scope: `${emu.httpUrl}/.default`,
	});
	expect(r.status).toBe(200);
	return r.json.access_token;
}

function graph(
	method: string,
	path: string,
	opts: {
		body?: unknown;
		headers?: Record<string, string>;
		auth?: string | null;
		base?: string;
	} = {},
): Promise<Reply> {
	const headers: Record<string, string> = { ...opts.headers };
	if (opts.auth !== null) headers.Authorization = `Bearer ${opts.auth ?? token}`;
	const base = opts.base ?? emu.httpUrl;
	return request(`${base}${path}`, {
		method,
		headers,
		body: opts.body,
		ca: base.startsWith('https:') ? emu.caCertPem : undefined,
	});
}

const policies = () => emu.data.policies;
const statusesOf = (i = 0) => emu.data.userStatuses.get(policies()[i].id)!;
const statusesPath = (i = 0, version = 'beta') =>
	`/${version}/deviceManagement/deviceCompliancePolicies/${policies()[i].id}/userStatuses`;

/** Asserts Graph's error body shape and returns the error. */
function expectGraphError(
	r: Reply,
	status: number,
	code: string,
): { code: string; message: string } {
	expect(r.status).toBe(status);
	expect(r.json.error.code).toBe(code);
	expect(typeof r.json.error.message).toBe('string');
	expect(r.json.error.innerError).toEqual({
		date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
		'request-id': r.headers['request-id'],
		'client-request-id': r.headers['client-request-id'],
	});
	expect(r.headers['request-id']).toMatch(GUID);
	return r.json.error;
}

/** Asserts the identity platform's error shape for an AADSTS code. */
function expectAadError(r: Reply, status: number, error: string, code: number): string {
	expect(r.status).toBe(status);
	expect(r.json).toEqual({
		error,
		error_description: expect.stringMatching(
			new RegExp(
				`^AADSTS${code}: .+ Trace ID: [0-9a-f-]{36} Correlation ID: \\S+ Timestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`,
				's',
			),
		),
		error_codes: [code],
		timestamp: expect.stringMatching(/Z$/),
		trace_id: expect.stringMatching(GUID),
		correlation_id: expect.any(String),
		error_uri: expect.stringContaining(`code=${code}`),
	});
	return r.json.error_description;
}

/** Signs a client assertion with node:crypto (independently of the emulator's own helper). */
function assertion(
	cert: ClientCertificate,
	o: {
		alg?: 'PS256' | 'RS256';
		header?: Record<string, unknown>;
		claims?: Record<string, unknown>;
		keyPem?: string;
		aud?: string;
	} = {},
): string {
	const alg = o.alg ?? 'PS256';
	const der = new X509Certificate(cert.certificatePem).raw;
	const header = {
		alg,
		typ: 'JWT',
		...(alg === 'PS256'
			? { 'x5t#S256': createHash('sha256').update(der).digest('base64url') }
			: { x5t: createHash('sha1').update(der).digest('base64url') }),
		...o.header,
	};
	const now = Math.floor(Date.now() / 1000);
	const claims = {
		aud: o.aud ?? tokenUrl(),
		iss: CERT_APP,
		sub: CERT_APP,
		exp: now + 600,
		nbf: now,
		iat: now,
		jti: randomUUID(),
		...o.claims,
	};
	const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
	const input = `${b64(header)}.${b64(claims)}`;
	const key = o.keyPem ?? cert.privateKeyPem;
	const sig =
		alg === 'PS256'
			? sign('sha256', Buffer.from(input), {
					key,
					padding: constants.RSA_PKCS1_PSS_PADDING,
					saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
				})
			: sign('sha256', Buffer.from(input), key);
	return `${input}.${sig.toString('base64url')}`;
}

function certGrant(jwt: string, extra: Record<string, string> = {}): Record<string, string> {
	return {
		grant_type: 'client_credentials',
		client_id: CERT_APP,
		scope: `${emu.httpUrl}/.default`,
		client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
		client_assertion: jwt,
		...extra,
	};
}

beforeAll(async () => {
	emu = await startEmulator({ https: true });
	pki = await generateTestPki();
	certA = pki.makeClientCertificate({ cn: 'cert A' });
	certB = pki.makeClientCertificate({ encryptWithPassphrase: 'pass phrase', pkcs1: true });
	emu.registerApp(SECRET_APP);
	emu.registerApp(EXPIRED_APP);
	emu.registerApp({ clientId: CERT_APP, certificatePem: certA.certificatePem });
	emu.registerApp(NO_CONSENT_APP);
	emu.registerApp(OTHER_APP);
});

afterAll(async () => {
	await emu?.close();
});

beforeEach(async () => {
	emu.reset();
	token = await appToken();
});

describe('test PKI', () => {
	it('makes a CA and a localhost server certificate signed by it, once per process', async () => {
		const ca = new X509Certificate(pki.caCertPem);
		const server = new X509Certificate(pki.serverCertPem);
		expect(ca.ca).toBe(true);
		expect(server.ca).toBe(false);
		expect(server.verify(ca.publicKey)).toBe(true);
		expect(server.checkHost('localhost')).toBe('localhost');
		expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
		expect(server.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
		expect(createPrivateKey(pki.caKeyPem).asymmetricKeyType).toBe('rsa');
		expect((await generateTestPki()).caCertPem).toBe(pki.caCertPem);
		expect(emu.caCertPem).toBe(pki.caCertPem);
	});

	it('makes client certificates in each key format, with the base64url SHA-256 thumbprint', () => {
		const der = new X509Certificate(certA.certificatePem).raw;
		expect(certA.thumbprintSha256).toBe(createHash('sha256').update(der).digest('base64url'));
		expect(new X509Certificate(certA.certificatePem).subject).toBe('CN=cert A');
		expect(certA.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
		expect(certB.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED/);
		const keyB = createPrivateKey({ key: certB.privateKeyPem, passphrase: 'pass phrase' });
		expect(new X509Certificate(certB.certificatePem).checkPrivateKey(keyB)).toBe(true);
		const encrypted8 = pki.makeClientCertificate({ encryptWithPassphrase: 'x' });
		expect(encrypted8.privateKeyPem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
		expect(() =>
			createPrivateKey({ key: encrypted8.privateKeyPem, passphrase: 'wrong' }),
		).toThrow();
		const plain1 = pki.makeClientCertificate({ pkcs1: true });
		expect(plain1.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\nMII/);
		expect(
			new Set([
				certA.thumbprintSha256,
				certB.thumbprintSha256,
				encrypted8.thumbprintSha256,
				plain1.thumbprintSha256,
			]).size,
		).toBe(4);
	});
});

describe('HTTPS listener', () => {
	it('serves the same state over HTTPS trusted through the generated CA, for localhost and 127.0.0.1', async () => {
		expect(emu.httpsUrl).toMatch(/^https:\/\/localhost:\d+$/);
		const created = await graph('POST', statusesPath(), {
			body: { status: 'compliant', devicesCount: 1, lastReportedDateTime: '2024-05-01T10:00:00Z' },
		});
		expect(created.status).toBe(201);
		const viaHttps = await graph('GET', `${statusesPath()}/${created.json.id}`, {
			base: emu.httpsUrl,
		});
		expect(viaHttps.status).toBe(200);
		expect(viaHttps.json.id).toBe(created.json.id);
		expect(viaHttps.json['@odata.context']).toBe(
			`${emu.httpsUrl}/beta/$metadata#deviceManagement/deviceCompliancePolicies('${policies()[0].id}')/userStatuses/$entity`,
		);
		const port = new URL(emu.httpsUrl!).port;
		const byIp = await request(
			`https://127.0.0.1:${port}/v1.0/deviceManagement/deviceCompliancePolicies`,
			{ headers: { Authorization: `Bearer ${token}` }, ca: emu.caCertPem },
		);
		expect(byIp.status).toBe(200);
		expect(byIp.json.value).toHaveLength(3);
		expect(emu.requests.map((r) => r.origin)).toEqual([
			emu.httpUrl,
			emu.httpsUrl,
			`https://127.0.0.1:${port}`,
		]);
	});

	it('is refused by a client that does not trust the test CA', async () => {
		await expect(
			request(`${emu.httpsUrl}/v1.0/deviceManagement/deviceCompliancePolicies`),
		).rejects.toMatchObject({
			code: expect.stringMatching(
				/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/,
			),
		});
	});
});

describe('identity platform: discovery and authorize', () => {
	it.each([['v2.0/.well-known/openid-configuration'], ['.well-known/openid-configuration']])(
		'serves %s on both origins',
		async (path) => {
			for (const base of [emu.httpUrl, emu.httpsUrl!]) {
				for (const tenant of [emu.tenantId, emu.tenantDomain]) {
					const r = await request(`${base}/${tenant}/${path}`, { ca: emu.caCertPem });
					expect(r.status).toBe(200);
					expect(r.json).toMatchObject({
						issuer: `${base}/${emu.tenantId}/v2.0`,
						token_endpoint: `${base}/${emu.tenantId}/oauth2/v2.0/token`,
						authorization_endpoint: `${base}/${emu.tenantId}/oauth2/v2.0/authorize`,
						jwks_uri: `${base}/${emu.tenantId}/discovery/v2.0/keys`,
					});
				}
			}
			const keys = await request(`${emu.httpUrl}/${emu.tenantId}/discovery/v2.0/keys`);
			expect(keys.json).toEqual({ keys: [] });
		},
	);

	it('answers AADSTS90002 for discovery of an unknown tenant', async () => {
		const r = await request(
			`${emu.httpUrl}/fabrikam.onmicrosoft.com/v2.0/.well-known/openid-configuration`,
		);
		expect(expectAadError(r, 400, 'invalid_request', 90002)).toContain(
			"Tenant 'fabrikam.onmicrosoft.com' not found",
		);
	});

	it('signs in at once on authorize, and the code is redeemed once (with PKCE)', async () => {
		const verifier = 'v'.repeat(50);
		const challenge = createHash('sha256').update(verifier).digest('base64url');
		const redirect = 'http://127.0.0.1:5678/rest/oauth2-credential/callback';
		const q = new URLSearchParams({
			client_id: SECRET_APP.clientId,
			response_type: 'code',
			redirect_uri: redirect,
			state: 'st=1&x',
			scope: `${emu.httpUrl}/DeviceManagementConfiguration.ReadWrite.All offline_access`,
			code_challenge: challenge,
			code_challenge_method: 'S256',
		});
		const r = await request(`${emu.httpUrl}/common/oauth2/v2.0/authorize?${q}`);
		expect(r.status).toBe(302);
		const location = new URL(r.headers.location!);
		expect(`${location.origin}${location.pathname}`).toBe(redirect);
		expect(location.searchParams.get('state')).toBe('st=1&x');
		const code = location.searchParams.get('code')!;
		expect(code).toBeTruthy();

		const fields = {
			grant_type: 'authorization_code',
			client_id: SECRET_APP.clientId,
			client_secret: SECRET_APP.clientSecret,
			code,
			redirect_uri: redirect,
		};
		expectAadError(
			await tokenRequest({ ...fields, code_verifier: 'wrong' }),
			400,
			'invalid_grant',
			50148,
		);
		const ok = await tokenRequest({ ...fields, code_verifier: verifier });
		expect(ok.status).toBe(200);
		expect(ok.json).toMatchObject({
			token_type: 'Bearer',
			expires_in: 3600,
			scope: `${emu.httpUrl}/DeviceManagementConfiguration.ReadWrite.All offline_access`,
		});
		expect(ok.json.refresh_token).toEqual(expect.any(String));
		expect((await graph('GET', statusesPath(), { auth: ok.json.access_token })).status).toBe(200);
		expectAadError(
			await tokenRequest({ ...fields, code_verifier: verifier }),
			400,
			'invalid_grant',
			54005,
		);
		expectAadError(await tokenRequest({ ...fields, code: 'made-up' }), 400, 'invalid_grant', 70000);
	});

	it('refuses authorize for an unknown client, and redirects scope errors back', async () => {
		const unknown = await request(
			`${emu.httpUrl}/${emu.tenantId}/oauth2/v2.0/authorize?client_id=nope&response_type=code&redirect_uri=http://x/cb`,
		);
		expectAadError(unknown, 400, 'unauthorized_client', 700016);
		const badScope = await request(
			`${emu.httpUrl}/${emu.tenantId}/oauth2/v2.0/authorize?client_id=${SECRET_APP.clientId}&response_type=code&redirect_uri=http://x/cb&state=s&scope=https://graph.microsoft.com/.default`,
		);
		expect(badScope.status).toBe(302);
		const loc = new URL(badScope.headers.location!);
		expect(loc.searchParams.get('error')).toBe('invalid_scope');
		expect(loc.searchParams.get('state')).toBe('s');
		expect(loc.searchParams.get('code')).toBeNull();
	});
});

describe('identity platform: token endpoint', () => {
	it('issues an app token for a client secret, and logs the call', async () => {
		const r = await tokenRequest(
			{
				grant_type: 'client_credentials',
				client_id: SECRET_APP.clientId,
				client_secret: SECRET_APP.clientSecret,
				scope: `${emu.httpUrl}/.default`,
			},
			{ headers: { 'client-request-id': 'corr-1' } },
		);
		expect(r.status).toBe(200);
		expect(r.json).toEqual({
			token_type: 'Bearer',
			expires_in: 3600,
			ext_expires_in: 3600,
			access_token: expect.any(String),
		});
		expect(r.json.refresh_token).toBeUndefined();
		expect(r.headers['client-request-id']).toBe('corr-1');
		expect(emu.tokenRequests.at(-1)).toEqual({
			grantType: 'client_credentials',
			clientId: SECRET_APP.clientId,
			status: 200,
			time: expect.any(Number),
			tenant: emu.tenantId,
			origin: emu.httpUrl,
			clientAuthentication: 'secret',
			assertionHeader: undefined,
		});
	});

	it('accepts the tenant domain, the HTTPS origin and its scope, and HTTP Basic client authentication', async () => {
		const basic = `Basic ${Buffer.from(`${SECRET_APP.clientId}:${encodeURIComponent(SECRET_APP.clientSecret)}`).toString('base64')}`;
		const r = await tokenRequest(
			{ grant_type: 'client_credentials', scope: `${emu.httpsUrl}/.default` },
			{
				base: emu.httpsUrl,
				tenant: 'Contoso.onmicrosoft.com',
				headers: { Authorization: basic },
				ca: emu.caCertPem,
			},
		);
		expect(r.status).toBe(200);
		expect(
			(
				await graph('GET', '/v1.0/deviceManagement/deviceCompliancePolicies', {
					auth: r.json.access_token,
					base: emu.httpsUrl,
				})
			).status,
		).toBe(200);
		// a token is valid on both listeners (one state)
		expect(
			(
				await graph('GET', '/v1.0/deviceManagement/deviceCompliancePolicies', {
					auth: r.json.access_token,
				})
			).status,
		).toBe(200);
	});

	const secretGrant = (o: Record<string, string> = {}) => ({
		grant_type: 'client_credentials',
		client_id: SECRET_APP.clientId,
		client_secret: SECRET_APP.clientSecret,
		scope: `${emu.httpUrl}/.default`,
		...o,
	});

	it.each([
		[
			'AADSTS90002 for an unknown tenant',
			() => tokenRequest(secretGrant(), { tenant: 'fabrikam.onmicrosoft.com' }),
			400,
			'invalid_request',
			90002,
			"Tenant 'fabrikam.onmicrosoft.com' not found",
		],
		[
			'AADSTS90002 for common on client credentials',
			() => tokenRequest(secretGrant(), { tenant: 'common' }),
			400,
			'invalid_request',
			90002,
			"Tenant 'common' not found",
		],
		[
			'AADSTS700016 for an unknown client',
			() => tokenRequest(secretGrant({ client_id: 'aaaaaaaa-0000-4000-8000-000000000000' })),
			400,
			'unauthorized_client',
			700016,
			"Application with identifier 'aaaaaaaa-0000-4000-8000-000000000000' was not found in the directory 'contoso.onmicrosoft.com'",
		],
		[
			'AADSTS7000215 for a wrong secret',
			() => tokenRequest(secretGrant({ client_secret: 'wrong' })),
			401,
			'invalid_client',
			7000215,
			'Invalid client secret provided',
		],
		[
			'AADSTS7000215 for a secret sent to a certificate-only app',
			() => tokenRequest(secretGrant({ client_id: CERT_APP })),
			401,
			'invalid_client',
			7000215,
			'Invalid client secret provided',
		],
		[
			'AADSTS7000222 for an expired secret',
			() =>
				tokenRequest(
					secretGrant({ client_id: EXPIRED_APP.clientId, client_secret: EXPIRED_APP.clientSecret }),
				),
			401,
			'invalid_client',
			7000222,
			'client secret keys for app',
		],
		[
			'AADSTS7000218 without any credential',
			() =>
				tokenRequest({
					grant_type: 'client_credentials',
					client_id: SECRET_APP.clientId,
					scope: `${emu.httpUrl}/.default`,
				}),
			401,
			'invalid_client',
			7000218,
			"'client_assertion' or 'client_secret'",
		],
		[
			'AADSTS70011 for the real Graph scope',
			() => tokenRequest(secretGrant({ scope: 'https://graph.microsoft.com/.default' })),
			400,
			'invalid_scope',
			70011,
			"The scope 'https://graph.microsoft.com/.default' is not valid",
		],
		[
			'AADSTS70011 for a scope without /.default',
			() =>
				tokenRequest(
					secretGrant({ scope: `${emu.httpUrl}/DeviceManagementConfiguration.ReadWrite.All` }),
				),
			400,
			'invalid_scope',
			70011,
			'/.default',
		],
		[
			'AADSTS900144 without a scope',
			() =>
				tokenRequest({
					grant_type: 'client_credentials',
					client_id: SECRET_APP.clientId,
					client_secret: SECRET_APP.clientSecret,
				}),
			400,
			'invalid_request',
			900144,
			"parameter: 'scope'",
		],
		[
			'AADSTS70003 for an unsupported grant',
			() => tokenRequest(secretGrant({ grant_type: 'password' })),
			400,
			'unsupported_grant_type',
			70003,
			"'password'",
		],
		[
			'AADSTS70000 for an unknown refresh token',
			() =>
				tokenRequest({
					grant_type: 'refresh_token',
					client_id: SECRET_APP.clientId,
					client_secret: SECRET_APP.clientSecret,
					refresh_token: 'nope',
				}),
			400,
			'invalid_grant',
			70000,
			"'refresh_token' parameter is not valid",
		],
	])('answers %s', async (_name, call, status, error, code, text) => {
		const r = await call();
		expect(expectAadError(r, status as number, error as string, code as number)).toContain(text);
		expect(emu.tokenRequests.at(-1)).toMatchObject({ status, error, errorCode: `AADSTS${code}` });
	});

	it('echoes the client-request-id as correlation id in errors', async () => {
		const r = await tokenRequest(secretGrant({ client_secret: 'bad' }), {
			headers: { 'client-request-id': 'my-correlation' },
		});
		expectAadError(r, 401, 'invalid_client', 7000215);
		expect(r.json.correlation_id).toBe('my-correlation');
		expect(r.json.error_description).toContain(
			`Trace ID: ${r.json.trace_id} Correlation ID: my-correlation Timestamp: ${r.json.timestamp}`,
		);
	});

	it('refreshes delegated tokens: new access token, rotated refresh token, both usable', async () => {
		const user = emu.issueUserTokens(SECRET_APP.clientId);
		expect(user).toEqual({
			access_token: expect.any(String),
			refresh_token: expect.any(String),
			expires_in: 3600,
			token_type: 'Bearer',
		});
		expect((await graph('GET', statusesPath(), { auth: user.access_token })).status).toBe(200);
		expect(emu.requests.at(-1)!.clientId).toBe(SECRET_APP.clientId);

		const r = await tokenRequest({
			grant_type: 'refresh_token',
			client_id: SECRET_APP.clientId,
			client_secret: SECRET_APP.clientSecret,
			refresh_token: user.refresh_token,
		});
		expect(r.status).toBe(200);
		expect(r.json.access_token).not.toBe(user.access_token);
		expect(r.json.refresh_token).not.toBe(user.refresh_token);
		const basic = `Basic ${Buffer.from(`${SECRET_APP.clientId}:${SECRET_APP.clientSecret}`).toString('base64')}`;
		const again = await tokenRequest(
			{ grant_type: 'refresh_token', refresh_token: r.json.refresh_token },
			{ headers: { Authorization: basic } },
		);
		expect(again.status).toBe(200);
		expect((await graph('GET', statusesPath(), { auth: again.json.access_token })).status).toBe(
			200,
		);
		// a refresh token belongs to its app
		const foreign = await tokenRequest({
			grant_type: 'refresh_token',
			client_id: OTHER_APP.clientId,
			client_secret: OTHER_APP.clientSecret,
			refresh_token: user.refresh_token,
		});
		expectAadError(foreign, 400, 'invalid_grant', 70000);
		expect(() => emu.issueUserTokens('not-registered')).toThrow(/register the app/);
	});

	describe('certificate credentials (client assertion)', () => {
		it('accepts a PS256 assertion with x5t#S256, on either origin and tenant form', async () => {
			const r = await tokenRequest(certGrant(assertion(certA)));
			expect(r.status).toBe(200);
			expect(r.json.token_type).toBe('Bearer');
			expect((await graph('GET', statusesPath(), { auth: r.json.access_token })).status).toBe(200);
			const httpsAud = tokenUrl(emu.httpsUrl, emu.tenantDomain);
			const r2 = await tokenRequest(
				certGrant(assertion(certA, { aud: httpsAud }), { scope: `${emu.httpsUrl}/.default` }),
				{ base: emu.httpsUrl, tenant: emu.tenantDomain, ca: emu.caCertPem },
			);
			expect(r2.status).toBe(200);
		});

		it("accepts the legacy RS256 assertion with a SHA-1 x5t, and the emulator's own signer", async () => {
			expect((await tokenRequest(certGrant(assertion(certA, { alg: 'RS256' })))).status).toBe(200);
			const own = signClientAssertion({
				clientId: CERT_APP,
				audience: tokenUrl(),
				certificatePem: certA.certificatePem,
				privateKeyPem: certA.privateKeyPem,
			});
			expect((await tokenRequest(certGrant(own))).status).toBe(200);
		});

		const now = () => Math.floor(Date.now() / 1000);
		it.each([
			[
				'a thumbprint of another certificate',
				() => assertion(certA, { header: { 'x5t#S256': certB.thumbprintSha256 } }),
				'is not registered on application',
			],
			[
				'a wrong SHA-1 x5t',
				() => assertion(certA, { alg: 'RS256', header: { x5t: 'AAAA' } }),
				'is not registered on application',
			],
			[
				'no thumbprint',
				() => assertion(certA, { header: { 'x5t#S256': undefined } }),
				'no certificate thumbprint',
			],
			[
				'a signature by another key',
				() =>
					assertion(certA, {
						keyPem: createPrivateKey({ key: certB.privateKeyPem, passphrase: 'pass phrase' })
							.export({ type: 'pkcs8', format: 'pem' })
							.toString(),
					}),
				'failed signature validation',
			],
			[
				'a tampered payload',
				() => {
					const [h, , s] = assertion(certA).split('.');
					return `${h}.${Buffer.from(JSON.stringify({ aud: tokenUrl(), iss: CERT_APP, sub: CERT_APP, exp: now() + 60, jti: 'x' })).toString('base64url')}.${s}`;
				},
				'failed signature validation',
			],
			[
				'alg HS256',
				() => assertion(certA, { header: { alg: 'HS256' } }),
				"unsupported signing algorithm 'HS256'",
			],
			[
				'a wrong audience',
				() => assertion(certA, { aud: 'https://login.microsoftonline.com/x/oauth2/v2.0/token' }),
				'audience claim',
			],
			[
				'iss other than the client id',
				() => assertion(certA, { claims: { iss: OTHER_APP.clientId } }),
				'issuer claim',
			],
			[
				'sub other than the client id',
				() => assertion(certA, { claims: { sub: OTHER_APP.clientId } }),
				'subject claim',
			],
			[
				'an expired assertion',
				() => assertion(certA, { claims: { exp: now() - 5 } }),
				'expired at',
			],
			['nbf in the future', () => assertion(certA, { claims: { nbf: now() + 3600 } }), 'nbf'],
			['iat in the future', () => assertion(certA, { claims: { iat: now() + 3600 } }), 'iat'],
			['no jti', () => assertion(certA, { claims: { jti: undefined } }), 'no jti claim'],
			['something that is not a JWT', () => 'not-a-jwt', 'not a well-formed JWT'],
		])('refuses %s with AADSTS700027', async (_name, make, text) => {
			const r = await tokenRequest(certGrant(make()));
			expect(expectAadError(r, 401, 'invalid_client', 700027)).toContain(text);
			expect(emu.tokenRequests.at(-1)).toMatchObject({
				grantType: 'client_credentials',
				clientId: CERT_APP,
				status: 401,
				errorCode: 'AADSTS700027',
			});
		});

		it('refuses an assertion for an app without a certificate, and a wrong assertion type', async () => {
			const forSecretApp = assertion(certA, {
				claims: { iss: SECRET_APP.clientId, sub: SECRET_APP.clientId },
			});
			const r = await tokenRequest(certGrant(forSecretApp, { client_id: SECRET_APP.clientId }));
			expect(expectAadError(r, 401, 'invalid_client', 700027)).toContain(
				'has no certificate credentials',
			);
			const wrongType = await tokenRequest(
				certGrant(assertion(certA), { client_assertion_type: 'urn:other' }),
			);
			expect(expectAadError(wrongType, 401, 'invalid_client', 700027)).toContain(
				'client_assertion_type',
			);
		});
	});

	describe('@azure/msal-node against the emulator', () => {
		/** MSAL's network client, trusting the test CA and recording what MSAL calls. */
		function networkClient(calls: string[]): INetworkModule {
			const send = async <T>(
				method: string,
				url: string,
				options?: { headers?: Record<string, string>; body?: string },
			): Promise<NetworkResponse<T>> => {
				calls.push(`${method} ${new URL(url).pathname}`);
				const r = await request(url, {
					method,
					headers: options?.headers,
					body: options?.body,
					ca: emu.caCertPem,
				});
				return {
					status: r.status,
					headers: r.headers as Record<string, string>,
					body: r.json as T,
				};
			};
			return {
				sendGetRequestAsync: (url, options) => send('GET', url, options),
				sendPostRequestAsync: (url, options) => send('POST', url, options),
			};
		}

		it('gets tokens for a secret and a certificate with knownAuthorities, reading only the v2.0 discovery document', async () => {
			const host = new URL(emu.httpsUrl!).host;
			const calls: string[] = [];
			const scopes = [`${emu.httpsUrl}/.default`];
			const secretApp = new ConfidentialClientApplication({
				auth: {
					clientId: SECRET_APP.clientId,
					authority: `${emu.httpsUrl}/${emu.tenantId}`,
					clientSecret: SECRET_APP.clientSecret,
					knownAuthorities: [host],
				},
				system: { networkClient: networkClient(calls) },
			});
			const a = await secretApp.acquireTokenByClientCredential({ scopes });
			expect(
				(await graph('GET', statusesPath(), { auth: a!.accessToken, base: emu.httpsUrl })).status,
			).toBe(200);

			const keyPem = createPrivateKey({ key: certB.privateKeyPem, passphrase: 'pass phrase' })
				.export({ type: 'pkcs8', format: 'pem' })
				.toString();
			emu.registerApp({
				clientId: OTHER_APP.clientId,
				clientSecret: OTHER_APP.clientSecret,
				certificatePem: certB.certificatePem,
			});
			const certApp = new ConfidentialClientApplication({
				auth: {
					clientId: OTHER_APP.clientId,
					authority: `${emu.httpsUrl}/${emu.tenantDomain}`,
					knownAuthorities: [host],
					clientCertificate: {
						thumbprintSha256: Buffer.from(certB.thumbprintSha256, 'base64url').toString('hex'),
						privateKey: keyPem,
						x5c: certB.certificatePem,
					},
				},
				system: { networkClient: networkClient(calls) },
			});
			const b = await certApp.acquireTokenByClientCredential({ scopes });
			expect(
				(await graph('GET', statusesPath(), { auth: b!.accessToken, base: emu.httpsUrl })).status,
			).toBe(200);
			expect(calls).toEqual([
				`GET /${emu.tenantId}/v2.0/.well-known/openid-configuration`,
				`POST /${emu.tenantId}/oauth2/v2.0/token`,
				`GET /${emu.tenantDomain}/v2.0/.well-known/openid-configuration`,
				`POST /${emu.tenantDomain}/oauth2/v2.0/token`,
			]);
			expect(emu.tokenRequests.map((t) => [t.clientId, t.status])).toEqual([
				[SECRET_APP.clientId, 200],
				[SECRET_APP.clientId, 200],
				[OTHER_APP.clientId, 200],
			]);

			const wrong = new ConfidentialClientApplication({
				auth: {
					clientId: SECRET_APP.clientId,
					authority: `${emu.httpsUrl}/${emu.tenantId}`,
					clientSecret: 'wrong',
					knownAuthorities: [host],
				},
				system: { networkClient: networkClient([]) },
			});
			const error = await wrong.acquireTokenByClientCredential({ scopes }).catch((e) => e);
			expect(error).toBeInstanceOf(ServerError);
			expect(error.errorCode).toBe('invalid_client');
			expect(error.errorMessage).toContain('AADSTS7000215');
		});
	});
});

describe('Graph authentication', () => {
	it("requires a bearer token, with Graph's error body and ids", async () => {
		const r = await graph('GET', statusesPath(), {
			auth: null,
			headers: { 'client-request-id': 'cr-1' },
		});
		expect(expectGraphError(r, 401, 'InvalidAuthenticationToken').message).toBe(
			'Access token is empty.',
		);
		expect(r.headers['client-request-id']).toBe('cr-1');
		expect(r.headers['www-authenticate']).toContain('Bearer');
		const garbage = await graph('GET', statusesPath(), { auth: 'garbage' });
		expect(expectGraphError(garbage, 401, 'InvalidAuthenticationToken').message).toContain(
			'IDX14100',
		);
		// without a client-request-id, Graph reuses the request-id
		expect(garbage.headers['client-request-id']).toBe(garbage.headers['request-id']);
	});

	it('expires every access token issued so far, and new ones work', async () => {
		const user = emu.issueUserTokens(SECRET_APP.clientId);
		emu.expireAllAccessTokens();
		for (const t of [token, user.access_token]) {
			const r = await graph('GET', statusesPath(), { auth: t });
			expect(expectGraphError(r, 401, 'InvalidAuthenticationToken').message).toBe(
				'Lifetime validation failed, the token is expired.',
			);
		}
		expect((await graph('GET', statusesPath(), { auth: await appToken() })).status).toBe(200);
	});

	it('expires tokens after tokenLifetimeSeconds', async () => {
		emu.configure({ tokenLifetimeSeconds: 0.2 });
		const short = await appToken();
		expect((await graph('GET', statusesPath(), { auth: short })).status).toBe(200);
		await sleep(250);
		expect(
			expectGraphError(
				await graph('GET', statusesPath(), { auth: short }),
				401,
				'InvalidAuthenticationToken',
			).message,
		).toBe('Lifetime validation failed, the token is expired.');
	});

	it('answers 403 naming the permission when the app has no consent', async () => {
		const r = await graph('PATCH', `${statusesPath()}/${statusesOf()[0].id}`, {
			auth: await appToken(NO_CONSENT_APP),
			body: { status: 'compliant' },
		});
		expect(expectGraphError(r, 403, 'Forbidden').message).toContain(
			'DeviceManagementConfiguration.ReadWrite.All',
		);
		expect(statusesOf()[0].status).toBe('compliant'); // seeded value untouched
	});
});

describe('deviceCompliancePolicies', () => {
	it('lists the seeded policies with deterministic GUIDs', async () => {
		const r = await graph('GET', '/beta/deviceManagement/deviceCompliancePolicies');
		expect(r.status).toBe(200);
		expect(r.headers['content-type']).toMatch(/^application\/json/);
		expect(r.json['@odata.context']).toBe(
			`${emu.httpUrl}/beta/$metadata#deviceManagement/deviceCompliancePolicies`,
		);
		expect(r.json['@odata.nextLink']).toBeUndefined();
		expect(r.json.value).toHaveLength(3);
		expect(r.json.value[0]).toEqual({
			'@odata.type': '#microsoft.graph.windows10CompliancePolicy',
			id: deterministicGuid('policy:0'),
			displayName: 'Windows 10 Security Baseline',
			description: expect.any(String),
			createdDateTime: '2024-01-15T08:00:00.0000000Z',
			lastModifiedDateTime: '2024-01-15T09:00:00.0000000Z',
			version: 1,
		});
		for (const p of r.json.value) expect(p.id).toMatch(GUID);
		expect(r.json.value.map((p: { id: string }) => p.id)).toEqual(policies().map((p) => p.id));
	});

	it('filters with contains and startswith case-insensitively, and selects', async () => {
		const c = await graph(
			'GET',
			`/v1.0/deviceManagement/deviceCompliancePolicies?$filter=${encodeURIComponent("contains(displayName,'LOCKER')")}`,
		);
		expect(c.json.value.map((p: { displayName: string }) => p.displayName)).toEqual([
			'BitLocker Encryption Required',
		]);
		const s = await graph(
			'GET',
			`/v1.0/deviceManagement/deviceCompliancePolicies?$filter=startswith(displayName,'defender')&$select=id,displayName`,
		);
		expect(s.json.value).toEqual([
			{
				'@odata.type': '#microsoft.graph.windows10CompliancePolicy',
				id: policies()[2].id,
				displayName: 'Defender Antivirus Minimum',
			},
		]);
		expect(s.json['@odata.context']).toBe(
			`${emu.httpUrl}/v1.0/$metadata#deviceManagement/deviceCompliancePolicies(id,displayName)`,
		);
		const bad = await graph(
			'GET',
			`/v1.0/deviceManagement/deviceCompliancePolicies?$filter=${encodeURIComponent('contains(displayName')}`,
		);
		expect(expectGraphError(bad, 400, 'BadRequest').message).toContain('Invalid filter clause');
		const badProp = await graph(
			'GET',
			'/v1.0/deviceManagement/deviceCompliancePolicies?$select=nope',
		);
		expect(expectGraphError(badProp, 400, 'BadRequest').message).toContain(
			"Could not find a property named 'nope'",
		);
	});

	it('gets one policy, and answers 404 ResourceNotFound for an unknown one', async () => {
		const p = policies()[1];
		const r = await graph('GET', `/beta/deviceManagement/deviceCompliancePolicies/${p.id}`);
		expect(r.json).toEqual({
			'@odata.context': `${emu.httpUrl}/beta/$metadata#deviceManagement/deviceCompliancePolicies/$entity`,
			...p,
		});
		expectGraphError(
			await graph('GET', `/beta/deviceManagement/deviceCompliancePolicies/${randomUUID()}`),
			404,
			'ResourceNotFound',
		);
		expectGraphError(await graph('GET', '/beta/deviceManagement/nothingHere'), 400, 'BadRequest');
		expectGraphError(
			await graph('DELETE', `/beta/deviceManagement/deviceCompliancePolicies/${p.id}`),
			405,
			'MethodNotAllowed',
		);
	});
});

describe('userStatuses CRUD', () => {
	it('lists, filters on status and gets one', async () => {
		const list = await graph('GET', statusesPath());
		expect(list.json['@odata.context']).toBe(
			`${emu.httpUrl}/beta/$metadata#deviceManagement/deviceCompliancePolicies('${policies()[0].id}')/userStatuses`,
		);
		expect(list.json.value).toHaveLength(25);
		expect(Object.keys(list.json.value[0])).toEqual([
			'id',
			'userDisplayName',
			'devicesCount',
			'status',
			'lastReportedDateTime',
			'userPrincipalName',
		]);
		const nonCompliant = await graph(
			'GET',
			`${statusesPath()}?$filter=${encodeURIComponent("status eq 'nonCompliant'")}&$select=id,status`,
		);
		const expected = statusesOf().filter((s) => s.status === 'nonCompliant');
		expect(expected.length).toBeGreaterThan(2);
		expect(nonCompliant.json.value).toEqual(
			expected.map((s) => ({ id: s.id, status: 'nonCompliant' })),
		);

		const one = statusesOf()[3];
		const got = await graph('GET', `${statusesPath(0, 'v1.0')}/${one.id}`);
		expect(got.json).toEqual({
			'@odata.context': `${emu.httpUrl}/v1.0/$metadata#deviceManagement/deviceCompliancePolicies('${policies()[0].id}')/userStatuses/$entity`,
			...one,
		});
		expectGraphError(
			await graph('GET', `${statusesPath()}/${randomUUID()}`),
			404,
			'ResourceNotFound',
		);
		expectGraphError(
			await graph(
				'GET',
				`/beta/deviceManagement/deviceCompliancePolicies/${randomUUID()}/userStatuses`,
			),
			404,
			'ResourceNotFound',
		);
	});

	it('creates a status (201 with the new entity) and validates the body', async () => {
		const body = {
			userDisplayName: 'New User',
			userPrincipalName: 'new.user@contoso.onmicrosoft.com',
			devicesCount: 2,
			status: 'nonCompliant',
			lastReportedDateTime: '2024-06-01T12:30:00.1234567-08:00',
		};
		const r = await graph('POST', statusesPath(1), {
			body: { '@odata.type': '#microsoft.graph.deviceComplianceUserStatus', ...body },
		});
		expect(r.status).toBe(201);
		expect(r.json).toEqual({
			'@odata.context': expect.stringContaining('/userStatuses/$entity'),
			id: expect.stringMatching(GUID),
			...body,
		});
		expect(r.headers.location).toBe(
			`${emu.httpUrl}/beta/deviceManagement/deviceCompliancePolicies('${policies()[1].id}')/userStatuses('${r.json.id}')`,
		);
		expect(statusesOf(1)).toHaveLength(26);
		expect(statusesOf(1).at(-1)).toEqual({ id: r.json.id, ...body });

		const invalid: [unknown, string][] = [
			[
				{ ...body, status: 'bogus' },
				"Cannot convert the literal 'bogus' to the expected type 'microsoft.graph.complianceStatus'",
			],
			[{ ...body, lastReportedDateTime: '2024-06-01T12:30:00' }, 'Edm.DateTimeOffset'],
			[{ ...body, lastReportedDateTime: '2024-13-01T12:30:00Z' }, 'Edm.DateTimeOffset'],
			[
				{ ...body, devicesCount: 1.5 },
				"Cannot convert the literal '1.5' to the expected type 'Edm.Int32'",
			],
			[{ ...body, devicesCount: '2' }, 'Edm.Int32'],
			[
				{ ...body, colour: 'red' },
				"The property 'colour' does not exist on type 'microsoft.graph.deviceComplianceUserStatus'",
			],
			[{ ...body, status: null }, "A null value was found for the property named 'status'"],
			['[1,2]', 'must be a JSON object'],
			['{not json', 'Invalid JSON'],
		];
		for (const [bad, message] of invalid) {
			const res = await graph('POST', statusesPath(1), { body: bad });
			expect(expectGraphError(res, 400, 'BadRequest').message).toContain(message);
		}
		expect(statusesOf(1)).toHaveLength(26);
		expect(COMPLIANCE_STATUSES).toContain('notAssigned');
	});

	it('patches partially: 200 with the full entity, or 204 when configured', async () => {
		const target = statusesOf()[0];
		const before = { ...target };
		const r = await graph('PATCH', `${statusesPath()}/${target.id}`, {
			body: { status: 'remediated', lastReportedDateTime: '2024-07-01T00:00:00+02:00' },
		});
		expect(r.status).toBe(200);
		expect(r.json).toEqual({
			'@odata.context': `${emu.httpUrl}/beta/$metadata#deviceManagement/deviceCompliancePolicies('${policies()[0].id}')/userStatuses/$entity`,
			...before,
			status: 'remediated',
			lastReportedDateTime: '2024-07-01T00:00:00+02:00',
		});
		expect(statusesOf()[0]).toEqual({
			...before,
			status: 'remediated',
			lastReportedDateTime: '2024-07-01T00:00:00+02:00',
		});

		emu.configure({ patchStatus: 204 });
		const quiet = await graph('PATCH', `${statusesPath()}/${target.id}`, {
			body: { devicesCount: 7 },
		});
		expect(quiet.status).toBe(204);
		expect(quiet.text).toBe('');
		expect(statusesOf()[0].devicesCount).toBe(7);

		expect(
			expectGraphError(
				await graph('PATCH', `${statusesPath()}/${target.id}`, { body: { bogus: 1 } }),
				400,
				'BadRequest',
			).message,
		).toContain("'bogus'");
		expect(
			expectGraphError(
				await graph('PATCH', `${statusesPath()}/${target.id}`, { body: { id: randomUUID() } }),
				400,
				'BadRequest',
			).message,
		).toContain("'id'");
		expectGraphError(
			await graph('PATCH', `${statusesPath()}/${randomUUID()}`, { body: { status: 'compliant' } }),
			404,
			'ResourceNotFound',
		);
		expect(statusesOf()[0].devicesCount).toBe(7);
	});

	it('deletes (204) and the status is gone', async () => {
		const target = statusesOf(2)[5];
		const r = await graph('DELETE', `${statusesPath(2, 'v1.0')}/${target.id}`);
		expect(r.status).toBe(204);
		expect(r.text).toBe('');
		expect(statusesOf(2).some((s) => s.id === target.id)).toBe(false);
		expectGraphError(
			await graph('GET', `${statusesPath(2)}/${target.id}`),
			404,
			'ResourceNotFound',
		);
		expectGraphError(
			await graph('DELETE', `${statusesPath(2)}/${target.id}`),
			404,
			'ResourceNotFound',
		);
	});
});

describe('paging', () => {
	/** Follows next links from a first URL; returns page sizes, ids and the links seen. */
	async function walk(first: string, base = emu.httpUrl) {
		const sizes: number[] = [];
		const ids: string[] = [];
		const links: string[] = [];
		let r = await graph('GET', first, { base });
		for (;;) {
			expect(r.status).toBe(200);
			sizes.push(r.json.value.length);
			ids.push(...r.json.value.map((s: { id: string }) => s.id));
			const next = r.json['@odata.nextLink'];
			if (!next) break;
			links.push(next);
			expect(next.startsWith(`${base}/`)).toBe(true);
			r = await graph('GET', next.slice(base.length), { base });
		}
		return { sizes, ids, links };
	}

	it.each([
		['honour', '?$top=7', [7, 7, 7, 4]],
		['honour', '?$top=50', [25]],
		['honour', '', [10, 10, 5]],
		['cap', '?$top=50', [10, 10, 5]],
		['cap', '?$top=4', [4, 4, 4, 4, 4, 4, 1]],
		['ignore', '?$top=3', [10, 10, 5]],
	] as const)('topMode %s with %s pages as %j', async (topMode, query, sizes) => {
		emu.configure({ pageSize: 10, topMode });
		const result = await walk(`${statusesPath()}${query}`);
		expect(result.sizes).toEqual(sizes);
		expect(result.ids).toEqual(statusesOf().map((s) => s.id));
		for (const link of result.links)
			expect(link).toMatch(
				/^http:\/\/127\.0\.0\.1:\d+\/beta\/deviceManagement\/deviceCompliancePolicies\/[0-9a-f-]+\/userStatuses\?\$skiptoken=[\w-]+$/,
			);
	});

	it('keeps $filter and $select across pages, on the HTTPS origin too', async () => {
		emu.configure({ pageSize: 2 });
		const expected = statusesOf()
			.filter((s) => s.status === 'compliant')
			.map((s) => s.id);
		const result = await walk(
			`${statusesPath()}?$filter=status eq 'compliant'&$select=id`.replace(/ /g, '%20'),
			emu.httpsUrl,
		);
		expect(result.ids).toEqual(expected);
		expect(result.sizes.every((n) => n <= 2)).toBe(true);
		expect(result.links[0].startsWith(`${emu.httpsUrl}/beta/`)).toBe(true);
	});

	it('pages policies, refuses a made-up skiptoken, and puts next links on nextLinkOrigin when set', async () => {
		emu.configure({ pageSize: 2 });
		const pol = await walk('/v1.0/deviceManagement/deviceCompliancePolicies');
		expect(pol.sizes).toEqual([2, 1]);
		expect(
			expectGraphError(
				await graph('GET', `${statusesPath()}?$skiptoken=made-up`),
				400,
				'BadRequest',
			).message,
		).toContain('$skiptoken');
		expectGraphError(await graph('GET', `${statusesPath()}?$top=-1`), 400, 'BadRequest');

		const recorder = await startRecorder();
		try {
			emu.configure({ nextLinkOrigin: recorder.url });
			const first = await graph('GET', statusesPath());
			const next: string = first.json['@odata.nextLink'];
			expect(next.startsWith(`${recorder.url}/beta/deviceManagement/`)).toBe(true);
			const followed = await request(next);
			expect(followed.status).toBe(200);
			expect(followed.json).toEqual({ value: [] });
			expect(recorder.requests).toEqual([
				{
					method: 'GET',
					path: next.slice(recorder.url.length),
					headers: expect.objectContaining({ host: new URL(recorder.url).host }),
				},
			]);
			expect(recorder.requests[0].headers.authorization).toBeUndefined();
		} finally {
			await recorder.close();
		}
	});
});

describe('$batch', () => {
	const patchReq = (id: string, i: number, status = 'compliant') => ({
		id,
		method: 'PATCH',
		url: `/deviceManagement/deviceCompliancePolicies/${policies()[0].id}/userStatuses/${statusesOf()[i].id}`,
		headers: { 'Content-Type': 'application/json' },
		body: { status },
	});

	it('runs each inner request, answers in another order, and logs envelope and inner requests', async () => {
		const requests = [
			{
				id: '1',
				method: 'GET',
				url: `/deviceManagement/deviceCompliancePolicies/${policies()[0].id}`,
			},
			patchReq('2', 1, 'error'),
			{
				id: '3',
				method: 'DELETE',
				url: `deviceManagement/deviceCompliancePolicies/${policies()[0].id}/userStatuses/${statusesOf()[2].id}`,
			},
			{ id: '4', method: 'GET', url: `/deviceManagement/deviceCompliancePolicies/${randomUUID()}` },
		];
		const deletedId = statusesOf()[2].id;
		const r = await graph('POST', '/beta/$batch', { body: { requests } });
		expect(r.status).toBe(200);
		const ids = r.json.responses.map((x: { id: string }) => x.id);
		expect(ids).not.toEqual(['1', '2', '3', '4']);
		expect([...ids].sort()).toEqual(['1', '2', '3', '4']);
		const byId = Object.fromEntries(r.json.responses.map((x: { id: string }) => [x.id, x]));
		expect(byId['1']).toMatchObject({
			status: 200,
			body: { id: policies()[0].id },
			headers: { 'Content-Type': expect.stringContaining('application/json') },
		});
		expect(byId['2']).toMatchObject({ status: 200, body: { status: 'error' } });
		expect(byId['3'].status).toBe(204);
		expect(byId['3'].body).toBeUndefined();
		expect(byId['4']).toMatchObject({ status: 404, body: { error: { code: 'ResourceNotFound' } } });
		expect(statusesOf()[1].status).toBe('error');
		expect(statusesOf().some((s) => s.id === deletedId)).toBe(false);

		expect(emu.requests.map((x) => [x.method, x.inBatch, x.status])).toEqual([
			['POST', false, 200],
			['GET', true, 200],
			['PATCH', true, 200],
			['DELETE', true, 204],
			['GET', true, 404],
		]);
		expect(emu.requests[0].path).toBe('/beta/$batch');
		expect(emu.requests[2]).toMatchObject({
			path: `/beta/deviceManagement/deviceCompliancePolicies/${policies()[0].id}/userStatuses/${statusesOf()[1].id}`,
			body: { status: 'error' },
			clientId: SECRET_APP.clientId,
			origin: emu.httpUrl,
		});
		expect(emu.requests[3].path).toBe(
			`/beta/deviceManagement/deviceCompliancePolicies/${policies()[0].id}/userStatuses/${deletedId}`,
		);
	});

	it('keeps the order when shuffling is off, and answers 424 for a failed dependency', async () => {
		emu.configure({ shuffleBatchResponses: false });
		const requests = [
			{ id: 'a', method: 'GET', url: `/deviceManagement/deviceCompliancePolicies/${randomUUID()}` },
			{ ...patchReq('b', 0), dependsOn: ['a'] },
			{ id: 'c', method: 'GET', url: '/deviceManagement/deviceCompliancePolicies' },
		];
		const r = await graph('POST', '/v1.0/$batch', { body: { requests } });
		expect(r.json.responses.map((x: { id: string; status: number }) => [x.id, x.status])).toEqual([
			['a', 404],
			['b', 424],
			['c', 200],
		]);
		expect(r.json.responses[1].body.error.code).toBe('FailedDependency');
	});

	it('refuses more than 20 requests and duplicate ids with an envelope 400', async () => {
		const many = Array.from({ length: 21 }, (_, i) => ({
			id: String(i),
			method: 'GET',
			url: '/deviceManagement/deviceCompliancePolicies',
		}));
		expect(
			expectGraphError(
				await graph('POST', '/beta/$batch', { body: { requests: many } }),
				400,
				'BadRequest',
			).message,
		).toContain('limit of 20');
		const ok20 = await graph('POST', '/beta/$batch', { body: { requests: many.slice(0, 20) } });
		expect(ok20.json.responses).toHaveLength(20);
		const dup = [
			{ id: 'x', method: 'GET', url: '/deviceManagement/deviceCompliancePolicies' },
			{ id: 'x', method: 'GET', url: '/deviceManagement/deviceCompliancePolicies' },
		];
		expect(
			expectGraphError(
				await graph('POST', '/beta/$batch', { body: { requests: dup } }),
				400,
				'BadRequest',
			).message,
		).toContain("duplicate request id 'x'");
		expectGraphError(
			await graph('POST', '/beta/$batch', { body: { nope: [] } }),
			400,
			'BadRequest',
		);
		expectGraphError(await graph('GET', '/beta/$batch'), 405, 'MethodNotAllowed');
		const nested = await graph('POST', '/beta/$batch', {
			body: {
				requests: [
					{
						id: '1',
						method: 'POST',
						url: '/$batch',
						headers: { 'Content-Type': 'application/json' },
						body: { requests: [] },
					},
				],
			},
		});
		expect(nested.json.responses[0].status).toBe(400);
	});

	it('answers an inner 400 for a body without Content-Type, and runs the others', async () => {
		const noType = { ...patchReq('1', 0, 'error'), headers: {} };
		const r = await graph('POST', '/beta/$batch', {
			body: { requests: [noType, patchReq('2', 1, 'error')] },
		});
		const byId = Object.fromEntries(r.json.responses.map((x: { id: string }) => [x.id, x]));
		expect(byId['1'].status).toBe(400);
		expect(byId['1'].body.error.message).toContain('Content-Type');
		expect(byId['2'].status).toBe(200);
		expect(statusesOf()[0].status).toBe('compliant');
		expect(statusesOf()[1].status).toBe('error');
	});

	it.each([
		[
			'seconds',
			(v: string | undefined) => {
				expect(v).toMatch(/^\d+$/);
				expect(Number(v)).toBeGreaterThanOrEqual(19);
				expect(Number(v)).toBeLessThanOrEqual(20);
			},
		],
		[
			'decimal',
			(v: string | undefined) => {
				expect(v).toMatch(/^\d+\.\d{3}$/);
				expect(Number(v)).toBeGreaterThan(18);
				expect(Number(v)).toBeLessThanOrEqual(20);
			},
		],
		[
			'none',
			(v: string | undefined) => {
				expect(v).toBeUndefined();
			},
		],
	] as const)('throttles inner writes one by one (Retry-After %s)', async (retryAfter, check) => {
		emu.configure({ throttle: { enabled: true, writesPerWindow: 2, retryAfter } });
		const r = await graph('POST', '/beta/$batch', {
			body: { requests: [0, 1, 2, 3].map((i) => patchReq(String(i), i, 'error')) },
		});
		expect(r.status).toBe(200);
		const byId = Object.fromEntries(r.json.responses.map((x: { id: string }) => [x.id, x]));
		expect([0, 1, 2, 3].map((i) => byId[String(i)].status)).toEqual([200, 200, 429, 429]);
		expect(byId['2'].body.error.code).toBe('TooManyRequests');
		check(byId['2'].headers['Retry-After']);
		expect(
			statusesOf()
				.slice(0, 4)
				.map((s) => s.status),
		).toEqual(['error', 'error', 'compliant', 'unknown']);
	});

	it('answers envelope 401 without running anything when the envelope token is bad', async () => {
		const r = await graph('POST', '/beta/$batch', {
			auth: 'bad',
			body: { requests: [patchReq('1', 0, 'error')] },
		});
		expectGraphError(r, 401, 'InvalidAuthenticationToken');
		expect(emu.requests).toHaveLength(1);
		expect(statusesOf()[0].status).toBe('compliant');
	});
});

describe('throttling', () => {
	it('limits writes per client id in a sliding window; reads and other apps are unaffected', async () => {
		emu.configure({
			throttle: { enabled: true, writesPerWindow: 3, windowMs: 400, retryAfter: 'decimal' },
		});
		const path = `${statusesPath()}/${statusesOf()[0].id}`;
		for (let i = 0; i < 3; i++)
			expect((await graph('PATCH', path, { body: { devicesCount: i } })).status).toBe(200);
		const limited = await graph('PATCH', path, { body: { devicesCount: 9 } });
		expect(expectGraphError(limited, 429, 'TooManyRequests').message).toContain('write budget');
		const wait = Number(limited.headers['retry-after']);
		expect(wait).toBeGreaterThan(0);
		expect(wait).toBeLessThanOrEqual(0.4);
		expect(statusesOf()[0].devicesCount).toBe(2);
		expect((await graph('GET', path)).status).toBe(200);
		expect(
			(await graph('PATCH', path, { auth: await appToken(OTHER_APP), body: { devicesCount: 5 } }))
				.status,
		).toBe(200);
		await sleep(wait * 1000 + 20);
		expect((await graph('PATCH', path, { body: { devicesCount: 6 } })).status).toBe(200);
	});

	it('limits all requests, with an integer Retry-After by default', async () => {
		emu.configure({ throttle: { enabled: true, requestsPerWindow: 4 } });
		for (let i = 0; i < 4; i++) expect((await graph('GET', statusesPath())).status).toBe(200);
		const r = await graph('GET', statusesPath());
		expect(expectGraphError(r, 429, 'TooManyRequests').message).toContain('request budget');
		expect(r.headers['retry-after']).toBe('20');
	});

	it('does not count the $batch envelope', async () => {
		emu.configure({ throttle: { enabled: true, requestsPerWindow: 2 } });
		const req = (id: string) => ({
			id,
			method: 'GET',
			url: '/deviceManagement/deviceCompliancePolicies',
		});
		const r = await graph('POST', '/beta/$batch', { body: { requests: [req('1'), req('2')] } });
		expect(r.json.responses.map((x: { status: number }) => x.status)).toEqual([200, 200]);
		expect((await graph('GET', statusesPath())).status).toBe(429);
	});
});

describe('faults', () => {
	it('answers the next matching requests with the fault, then normally', async () => {
		emu.injectFaults({
			method: 'get',
			pathIncludes: '/USERSTATUSES',
			status: 503,
			times: 2,
			headers: { 'Retry-After': '1' },
		});
		const policiesOk = await graph('GET', '/beta/deviceManagement/deviceCompliancePolicies');
		expect(policiesOk.status).toBe(200);
		for (let i = 0; i < 2; i++) {
			const r = await graph('GET', statusesPath());
			expect(expectGraphError(r, 503, 'ServiceUnavailable').message).toContain('Injected');
			expect(r.headers['retry-after']).toBe('1');
		}
		expect((await graph('GET', statusesPath())).status).toBe(200);
	});

	it('sends a custom body, applies before auth and body validation, and keeps FIFO order', async () => {
		emu.injectFaults(
			{ status: 429, body: { error: { code: 'TooManyRequests', message: 'custom' } } },
			{ status: 500 },
		);
		const first = await graph('PATCH', `${statusesPath()}/${statusesOf()[0].id}`, {
			auth: 'invalid',
			body: { bogus: true },
		});
		expect(first.status).toBe(429);
		expect(first.json).toEqual({ error: { code: 'TooManyRequests', message: 'custom' } });
		expect(first.headers['retry-after']).toBeUndefined();
		expect((await graph('GET', statusesPath())).status).toBe(500);
		expect((await graph('GET', statusesPath())).status).toBe(200);
	});

	it('targets only the $batch envelope with envelopeOnly, and only inner requests with inBatchOnly', async () => {
		const inner = [
			{ id: '1', method: 'GET', url: '/deviceManagement/deviceCompliancePolicies' },
			{ id: '2', method: 'GET', url: '/deviceManagement/deviceCompliancePolicies' },
		];
		emu.injectFaults({ status: 504, envelopeOnly: true });
		expect((await graph('GET', statusesPath())).status).toBe(200);
		const env = await graph('POST', '/beta/$batch', { body: { requests: inner } });
		expectGraphError(env, 504, 'GatewayTimeout');
		expect(emu.requests.filter((x) => x.inBatch)).toHaveLength(0);

		emu.injectFaults({ status: 429, inBatchOnly: true, headers: { 'Retry-After': '0.249' } });
		expect((await graph('GET', statusesPath())).status).toBe(200);
		const r = await graph('POST', '/beta/$batch', { body: { requests: inner } });
		expect(r.status).toBe(200);
		const statuses = Object.fromEntries(
			r.json.responses.map((x: { id: string; status: number; headers: Record<string, string> }) => [
				x.id,
				[x.status, x.headers['Retry-After']],
			]),
		);
		expect(statuses).toEqual({ '1': [429, '0.249'], '2': [200, undefined] });
	});

	it('logs every request with its details', async () => {
		await graph('PATCH', `${statusesPath()}/${statusesOf()[0].id}?x=1`, {
			body: { status: 'error' },
			headers: { 'client-request-id': 'c-9' },
		});
		expect(emu.requests).toEqual([
			{
				method: 'PATCH',
				path: `${statusesPath()}/${statusesOf()[0].id}?x=1`,
				headers: expect.objectContaining({
					authorization: `Bearer ${token}`,
					'content-type': 'application/json',
					'client-request-id': 'c-9',
				}),
				body: { status: 'error' },
				inBatch: false,
				status: 200,
				time: expect.any(Number),
				clientId: SECRET_APP.clientId,
				origin: emu.httpUrl,
			},
		]);
	});
});

describe('latency, reset, options and control API', () => {
	it('adds latencyMs once per HTTP response, not per inner batch request', async () => {
		emu.configure({ latencyMs: 150 });
		let t = Date.now();
		await graph('GET', statusesPath());
		expect(Date.now() - t).toBeGreaterThanOrEqual(145);
		const req = (id: string) => ({
			id,
			method: 'GET',
			url: '/deviceManagement/deviceCompliancePolicies',
		});
		t = Date.now();
		await graph('POST', '/beta/$batch', {
			body: { requests: [req('1'), req('2'), req('3'), req('4')] },
		});
		const elapsed = Date.now() - t;
		expect(elapsed).toBeGreaterThanOrEqual(145);
		expect(elapsed).toBeLessThan(450);
	});

	it('reset re-seeds data and clears logs, faults and config, keeping apps and object identity', async () => {
		const dataRef = emu.data;
		const policiesRef = emu.data.policies;
		const configRef = emu.config;
		await graph('DELETE', `${statusesPath()}/${statusesOf()[0].id}`);
		emu.configure({ pageSize: 3, throttle: { enabled: true } });
		emu.injectFaults({ status: 500 });
		emu.reset();
		expect(emu.data).toBe(dataRef);
		expect(emu.data.policies).toBe(policiesRef);
		expect(emu.config).toBe(configRef);
		expect(statusesOf()).toHaveLength(25);
		expect(emu.config.pageSize).toBe(100);
		expect(emu.config.throttle.enabled).toBe(false);
		expect(emu.requests).toHaveLength(0);
		expect(emu.tokenRequests).toHaveLength(0);
		expect((await graph('GET', statusesPath())).status).toBe(200); // fault gone, token kept
		expect(
			(
				await tokenRequest({
					grant_type: 'client_credentials',
					client_id: SECRET_APP.clientId,
					client_secret: SECRET_APP.clientSecret,
					scope: `${emu.httpUrl}/.default`,
				})
			).status,
		).toBe(200);
		expect(() => emu.configure({ patchStatus: 201 as 200 })).toThrow(/patchStatus/);
	});

	it('honours seed sizes and tenantId; ids are deterministic across instances', async () => {
		const other = await startEmulator({
			seed: { policies: 7, statusesPerPolicy: 3 },
			tenantId: 'ABCDEF01-2345-4678-9abc-def012345678',
		});
		try {
			expect(other.httpsUrl).toBeUndefined();
			expect(other.caCertPem).toBeUndefined();
			expect(other.tenantId).toBe('abcdef01-2345-4678-9abc-def012345678');
			expect(emu.tenantId).toBe(DEFAULT_TENANT_ID);
			expect(other.data.policies).toHaveLength(7);
			expect(other.data.policies.slice(0, 3)).toEqual(emu.data.policies);
			expect(other.data.policies[5].displayName).toBe('Windows 10 Security Baseline 2');
			expect(other.data.userStatuses.get(other.data.policies[0].id)).toEqual(
				statusesOf().slice(0, 3),
			);
			other.registerApp(SECRET_APP);
			const r = await request(`${other.httpUrl}/contoso.onmicrosoft.com/oauth2/v2.0/token`, {
				method: 'POST',
				...form({
					grant_type: 'client_credentials',
					client_id: SECRET_APP.clientId,
					client_secret: SECRET_APP.clientSecret,
					scope: `${other.httpUrl}/.default`,
				}),
			});
			expect(r.status).toBe(200);
			// the other emulator's scope is not this one's
			expectAadError(
				await tokenRequest({
					grant_type: 'client_credentials',
					client_id: SECRET_APP.clientId,
					client_secret: SECRET_APP.clientSecret,
					scope: `${other.httpUrl}/.default`,
				}),
				400,
				'invalid_scope',
				70011,
			);
		} finally {
			await other.close();
		}
	});

	it('serves the control API over HTTP', async () => {
		const ctl = (method: string, path: string, body?: unknown) =>
			request(`${emu.httpUrl}/_emulator/${path}`, { method, body });
		expect(
			(await ctl('POST', 'config', { pageSize: 5, throttle: { retryAfter: 'none' } })).json,
		).toMatchObject({ pageSize: 5, throttle: { retryAfter: 'none', windowMs: 20000 } });
		expect(emu.config.pageSize).toBe(5);
		expect((await ctl('POST', 'config', { topMode: 'sideways' })).status).toBe(400);
		const typo = await ctl('POST', 'config', { pagesize: 5, throttle: { enable: true } });
		expect(typo.status).toBe(400);
		expect(typo.json.error).toContain('pagesize, throttle.enable');
		expect(
			(await ctl('POST', 'faults', [{ status: 502, pathIncludes: 'userStatuses' }])).json,
		).toEqual({ ok: true, pendingFaults: 1 });
		expect((await graph('GET', statusesPath())).status).toBe(502);
		await graph('GET', statusesPath());
		const state = await ctl('GET', 'state');
		expect(state.json).toMatchObject({
			httpUrl: emu.httpUrl,
			httpsUrl: emu.httpsUrl,
			tenantId: emu.tenantId,
			counts: { policies: 3, userStatuses: 75, requests: 2, pendingFaults: 0 },
		});
		const since1 = await ctl('GET', 'requests?since=1');
		expect(since1.json.requests.map((x: { status: number }) => x.status)).toEqual([200]);
		expect(since1.json.next).toBe(2);
		expect((await ctl('GET', 'token-requests')).json.tokenRequests).toHaveLength(1);
		const data = await ctl('GET', 'data');
		expect(data.json.policies).toHaveLength(3);
		expect(data.json.userStatuses[policies()[0].id]).toHaveLength(25);
		await ctl('POST', 'expire-tokens');
		expect((await graph('GET', statusesPath())).status).toBe(401);
		expect((await ctl('POST', 'apps', { clientId: 'ctl-app', clientSecret: 'z' })).status).toBe(
			200,
		);
		expect(
			(
				await tokenRequest({
					grant_type: 'client_credentials',
					client_id: 'ctl-app',
					client_secret: 'z',
					scope: `${emu.httpUrl}/.default`,
				})
			).status,
		).toBe(200);
		await ctl('POST', 'reset');
		expect(emu.config.pageSize).toBe(100);
		expect(emu.requests).toHaveLength(0);
		expect((await ctl('GET', 'nope')).status).toBe(404);
	});
});
