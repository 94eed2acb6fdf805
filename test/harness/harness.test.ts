/**
 * Proves the harness against a fixture package (test/harness/fixtures/harness-fixture-package): a plain-JS node
 * that calls this.helpers.httpRequestWithAuthentication, an API-key credential with a generic `authenticate`,
 * a credential with an expirable field filled by `preAuthentication`, and an OAuth2 credential that extends
 * n8n's oAuth2Api the way the package's MicrosoftIntuneOAuth2Api does. All HTTP goes to a local server.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { type CredentialRecord, IntuneHarness, n8n } from './index.ts';

const FIXTURE_DIR = path.join(__dirname, 'fixtures', 'harness-fixture-package');
const PROBE = 'n8n-nodes-harness-fixture.httpProbe';

interface SeenRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	headers: http.IncomingHttpHeaders;
	body: string;
}

/** The fake API: echo, list, session login and an OAuth2 token endpoint, with tokens the test can revoke. */
class FakeApi {
	readonly requests: SeenRequest[] = [];
	readonly validSessions = new Set<string>();
	readonly validAccessTokens = new Set<string>(['access-2']);
	sessionLogins = 0;
	tokenRequests: Array<Record<string, string>> = [];
	private server = http.createServer((req, res) => this.handle(req, res));
	baseUrl = '';

	async start(): Promise<void> {
		await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
		this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
	}

	async stop(): Promise<void> {
		this.server.closeAllConnections();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
		let body = '';
		req.on('data', (chunk: Buffer) => (body += chunk.toString()));
		req.on('end', () => {
			const url = new URL(req.url ?? '/', this.baseUrl);
			const seen: SeenRequest = {
				method: req.method ?? '',
				path: url.pathname,
				query: Object.fromEntries(url.searchParams),
				headers: req.headers,
				body,
			};
			this.requests.push(seen);
			const [status, payload, headers] = this.route(seen);
			res.writeHead(status, { 'content-type': 'application/json', ...headers });
			res.end(JSON.stringify(payload));
		});
	}

	private route(req: SeenRequest): [number, unknown, Record<string, string>?] {
		const auth = req.headers.authorization ?? '';
		if (req.path === '/session' && req.method === 'POST') {
			this.sessionLogins++;
			const token = `session-${this.sessionLogins}`;
			this.validSessions.add(token);
			return [200, { token }];
		}
		if (req.path.endsWith('/oauth2/v2.0/token')) {
			const form = Object.fromEntries(new URLSearchParams(req.body));
			this.tokenRequests.push({ path: req.path, ...form });
			if (form.grant_type !== 'refresh_token' || form.refresh_token !== 'refresh-1') {
				return [400, { error: 'invalid_grant' }];
			}
			return [
				200,
				{
					access_token: 'access-2',
					refresh_token: 'refresh-2',
					token_type: 'Bearer',
					expires_in: 3600,
				},
			];
		}
		if (req.path.startsWith('/session-api/')) {
			if (!this.validSessions.has(auth.replace(/^Session /, '')))
				return [401, { message: 'Session expired' }];
		}
		if (req.path.startsWith('/oauth-api/')) {
			if (!this.validAccessTokens.has(auth.replace(/^Bearer /, ''))) {
				return [
					401,
					{ error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired' } },
				];
			}
		}
		if (req.path === '/whoami') {
			const key = req.headers['x-api-key'];
			if (key === 'forbidden') return [403, { message: 'Forbidden' }];
			if (key !== undefined && key !== 'secret-key') return [401, { message: 'Bad key' }];
			return [200, { me: 'ok' }];
		}
		if (req.path === '/things') {
			const page = Number(req.query.page ?? '1');
			const things = [1, 2, 3]
				.map((n) => ({ id: `thing-${page}-${n}`, name: `Thing ${page}.${n}` }))
				.filter((thing) => thing.name.includes(req.query.filter ?? ''));
			return [200, { things, next: page < 2 ? String(page + 1) : undefined }];
		}
		if (req.path.endsWith('/missing'))
			return [404, { error: { code: 'NotFound', message: 'No such thing' } }];
		if (req.path.endsWith('/throttled')) {
			return [
				429,
				{ error: { code: 'TooManyRequests', message: 'Slow down' } },
				{ 'retry-after': '7' },
			];
		}
		return [
			200,
			{
				path: req.path,
				query: req.query,
				method: req.method,
				body: req.body ? JSON.parse(req.body) : null,
			},
		];
	}

	/** Requests to a path, without the token and login calls. */
	requestsTo(prefix: string): SeenRequest[] {
		return this.requests.filter((req) => req.path.startsWith(prefix));
	}
}

const api = new FakeApi();
let harness: IntuneHarness;

beforeAll(async () => {
	await api.start();
	harness = new IntuneHarness({ packageDir: FIXTURE_DIR });
});

afterAll(async () => {
	await api.stop();
	await IntuneHarness.close();
});

function apiKeyCredential(apiKey = 'secret-key'): CredentialRecord {
	return {
		id: 'cred-api-key',
		name: 'API key',
		type: 'harnessApiKeyApi',
		data: { baseUrl: api.baseUrl, apiKey },
	};
}

describe('running a node through WorkflowExecute', () => {
	test('items, pairedItem and $json / $() expressions, with the generic authenticate applied', async () => {
		const before = api.requests.length;
		const result = await harness.runNode({
			nodeType: PROBE,
			parameters: {
				baseUrl: api.baseUrl,
				path: '={{ "/echo/" + $json.id + "/" + $("Input").item.json.n }}',
			},
			credential: apiKeyCredential(),
			items: [
				{ id: 'a', n: 1 },
				{ id: 'b', n: 2 },
			],
		});

		expect(result.status).toBe('success');
		expect(result.error).toBeUndefined();
		expect(result.items).toEqual([
			{
				json: { path: '/echo/a/1', query: { tenant: 't-10' }, method: 'GET', body: null },
				pairedItem: { item: 0 },
			},
			{
				json: { path: '/echo/b/2', query: { tenant: 't-10' }, method: 'GET', body: null },
				pairedItem: { item: 1 },
			},
		]);
		const sent = api.requests.slice(before);
		expect(sent.map((req) => req.headers['x-api-key'])).toEqual(['secret-key', 'secret-key']);
		// The input node and the node under test both ran, in order, in one execution
		expect(Object.keys(result.run.data.resultData.runData)).toEqual(['Input', 'HTTP Probe']);
	});

	test('parameter defaults come from the node description, JSON expressions and typeVersion 2 work', async () => {
		const result = await harness.runNode({
			nodeType: PROBE,
			typeVersion: 2,
			parameters: { baseUrl: api.baseUrl, method: 'POST', body: '={{ { "n": $json.n * 2 } }}' },
			credential: apiKeyCredential(),
			items: [{ json: { n: 21 } }],
		});
		expect(result.status).toBe('success');
		expect(result.items[0].json).toMatchObject({ path: '/echo', method: 'POST', body: { n: 42 } });
		// The items came through the connection from the Input node
		const { source } = result.run.data.resultData.runData['HTTP Probe'][0];
		expect(source).toEqual([{ previousNode: 'Input', previousNodeOutput: 0, previousNodeRun: 0 }]);
	});

	test('a thrown NodeOperationError fails the workflow and surfaces in result.error', async () => {
		const result = await harness.runNode({
			nodeType: PROBE,
			parameters: { operation: 'refuse' },
			items: [{ id: 'x-1' }],
		});
		expect(result.status).toBe('error');
		expect(result.items).toEqual([]);
		expect(result.error).toMatchObject({
			name: 'NodeOperationError',
			message: 'Refusing item 0',
			description: 'The item asked to be refused (id x-1)',
			context: { itemIndex: 0 },
			node: { name: 'HTTP Probe' },
		});
	});

	test('an HTTP error is a NodeApiError: plain copy in result.error, the response on error.cause in the node', async () => {
		const stopped = await harness.runNode({
			nodeType: PROBE,
			parameters: { baseUrl: api.baseUrl, path: '/throttled' },
			credential: apiKeyCredential(),
			items: [{}],
		});
		expect(stopped.status).toBe('error');
		// resultData.error is `{ ...error, message, stack }`: enumerable fields only, `cause` (the AxiosError) is gone
		expect(stopped.error).toMatchObject({
			name: 'NodeApiError',
			httpCode: '429',
			message: 'The service is receiving too many requests from you',
			description: 'Slow down',
			messages: ['Request failed with status code 429'],
			context: { data: { error: { code: 'TooManyRequests', message: 'Slow down' } } },
		});
		expect(stopped.error).not.toHaveProperty('cause');
		expect(stopped.error instanceof n8n.workflow.NodeApiError).toBe(false);

		const described = await harness.runNode({
			nodeType: PROBE,
			parameters: { operation: 'describeError', baseUrl: api.baseUrl, path: '/throttled' },
			credential: apiKeyCredential(),
			items: [{}],
		});
		expect(described.items[0].json).toEqual({
			failed: true,
			errorName: 'NodeApiError',
			message: 'The service is receiving too many requests from you',
			httpCode: '429',
			description: 'Slow down',
			causeName: 'AxiosError',
			responseStatus: 429,
			retryAfter: '7',
			responseBody: { error: { code: 'TooManyRequests', message: 'Slow down' } },
		});
	});

	test('continueOnFail: onError from the node definition, regular and error output', async () => {
		const items = [{ id: 'ok' }, { id: 'missing' }, { id: 'fine' }];
		const parameters = { baseUrl: api.baseUrl, path: '={{ "/echo/" + $json.id }}' };

		const regular = await harness.runNode({
			nodeType: PROBE,
			parameters,
			credential: apiKeyCredential(),
			items,
			onError: 'continueRegularOutput',
		});
		expect(regular.status).toBe('success');
		expect(
			regular.items.map((item) => [item.json.path ?? item.json.error, item.pairedItem]),
		).toEqual([
			['/echo/ok', { item: 0 }],
			['The resource you are requesting could not be found', { item: 1 }],
			['/echo/fine', { item: 2 }],
		]);

		const split = await harness.runNode({
			nodeType: PROBE,
			parameters,
			credential: apiKeyCredential(),
			items,
			onError: 'continueErrorOutput',
		});
		expect(split.status).toBe('success');
		expect(split.outputs[0].map((item) => item.json.path)).toEqual(['/echo/ok', '/echo/fine']);
		// n8n moves items whose json is only `error` (or that carry item.error) to output 1, merged over the input item
		expect(split.outputs[1]).toEqual([
			{
				json: { id: 'missing', error: 'The resource you are requesting could not be found' },
				pairedItem: { item: 1 },
			},
		]);

		const stopped = await harness.runNode({
			nodeType: PROBE,
			parameters,
			credential: apiKeyCredential(),
			items,
		});
		expect(stopped.status).toBe('error');
		expect(stopped.items).toEqual([]);
		expect(stopped.error).toMatchObject({ name: 'NodeApiError', httpCode: '404' });
	});
});

describe('credentials', () => {
	test('preAuthentication runs once, its token is stored, and it runs again after a 401', async () => {
		const credential: CredentialRecord = {
			id: 'cred-session',
			name: 'Session',
			type: 'harnessSessionApi',
			data: { baseUrl: api.baseUrl, username: 'ann', password: 'pw', sessionToken: '' },
		};
		const run = async (path: string) =>
			await harness.runNode({
				nodeType: PROBE,
				parameters: { authentication: 'session', baseUrl: api.baseUrl, path },
				credential,
				items: [{}],
			});
		const loginsBefore = api.sessionLogins;

		const first = await run('/session-api/one');
		expect(first.status).toBe('success');
		expect(api.sessionLogins - loginsBefore).toBe(1);
		const firstToken = `session-${api.sessionLogins}`;
		// The raw stored data plus the token: no defaults or other resolved values are written back
		expect(harness.credentialData('cred-session')).toEqual({
			baseUrl: api.baseUrl,
			username: 'ann',
			password: 'pw',
			sessionToken: firstToken,
		});
		expect(credential.data.sessionToken).toBe(firstToken); // the record is the stored row
		const login = api.requests.filter((req) => req.path === '/session').at(-1);
		expect(JSON.parse(login!.body)).toEqual({ username: 'ann', password: 'pw' });
		expect(api.requestsTo('/session-api/one').at(-1)?.headers.authorization).toBe(
			`Session ${firstToken}`,
		);

		const second = await run('/session-api/two');
		expect(second.status).toBe('success');
		expect(api.sessionLogins - loginsBefore).toBe(1); // cached

		api.validSessions.delete(firstToken); // the server expires the session
		const third = await run('/session-api/three');
		expect(third.status).toBe('success');
		expect(api.sessionLogins - loginsBefore).toBe(2);
		const secondToken = `session-${api.sessionLogins}`;
		expect(harness.credentialData('cred-session').sessionToken).toBe(secondToken);
		expect(api.requestsTo('/session-api/three').map((req) => [req.headers.authorization])).toEqual([
			[`Session ${firstToken}`],
			[`Session ${secondToken}`],
		]);
	});

	test('an OAuth2 credential extending oAuth2Api refreshes its token on a 401 and the new token is stored', async () => {
		const credential: CredentialRecord = {
			id: 'cred-oauth',
			name: 'OAuth2',
			type: 'harnessOAuth2Api',
			data: {
				loginBaseUrl: `${api.baseUrl}/login/`,
				apiBaseUrl: 'https://api.example.test',
				tenantId: 'contoso',
				clientId: 'client-1',
				clientSecret: 'client-secret-1',
				oauthTokenData: {
					access_token: 'access-1',
					refresh_token: 'refresh-1',
					token_type: 'Bearer',
				},
			},
		};
		const result = await harness.runNode({
			nodeType: PROBE,
			parameters: { authentication: 'oAuth2', baseUrl: api.baseUrl, path: '/oauth-api/me' },
			credential,
			items: [{ n: 1 }],
		});

		expect(result.status).toBe('success');
		expect(result.items[0].json).toMatchObject({ path: '/oauth-api/me' });
		expect(api.requestsTo('/oauth-api/me').map((req) => req.headers.authorization)).toEqual([
			'Bearer access-1',
			'Bearer access-2',
		]);
		// The token URL came from the credential's hidden-field expressions over $self; authentication 'body'
		expect(api.tokenRequests).toEqual([
			{
				path: '/login/contoso/oauth2/v2.0/token',
				grant_type: 'refresh_token',
				refresh_token: 'refresh-1',
				client_id: 'client-1',
				client_secret: 'client-secret-1',
			},
		]);
		const stored = harness.credentialData('cred-oauth');
		expect(stored.oauthTokenData).toMatchObject({
			access_token: 'access-2',
			refresh_token: 'refresh-2',
			token_type: 'Bearer',
			expires_in: 3600,
		});
		expect(
			Number((stored.oauthTokenData as { n8n_expires_at: string }).n8n_expires_at),
		).toBeGreaterThan(Date.now());
		// Only the token data is written back: the hidden fields stay expressions-as-defaults, not stored values
		expect(stored).not.toHaveProperty('accessTokenUrl');
		expect(stored.clientSecret).toBe('client-secret-1');

		// The next run uses the stored token without refreshing
		await harness.runNode({
			nodeType: PROBE,
			parameters: { authentication: 'oAuth2', baseUrl: api.baseUrl, path: '/oauth-api/again' },
			credential,
			items: [{}],
		});
		expect(api.requestsTo('/oauth-api/again').map((req) => req.headers.authorization)).toEqual([
			'Bearer access-2',
		]);
		expect(api.tokenRequests).toHaveLength(1);
	});

	test('testCredential runs the credential test request as n8n does', async () => {
		expect(await harness.testCredential(apiKeyCredential())).toEqual({
			status: 'OK',
			message: 'Connection successful!',
		});
		expect(api.requests.at(-1)).toMatchObject({ path: '/whoami', query: { tenant: 't-10' } });
		expect(await harness.testCredential(apiKeyCredential('wrong'))).toEqual({
			status: 'Error',
			message: 'Unauthorized',
		});
		expect(await harness.testCredential(apiKeyCredential('forbidden'))).toEqual({
			status: 'Error',
			message: 'The API key is not allowed here',
		});

		const loginsBefore = api.sessionLogins;
		const session: CredentialRecord = {
			id: 'cred-session-test',
			name: 'Session test',
			type: 'harnessSessionApi',
			data: { baseUrl: api.baseUrl, username: 'ann', password: 'pw', sessionToken: '' },
		};
		expect(await harness.testCredential(session)).toEqual({
			status: 'OK',
			message: 'Connection successful!',
		});
		expect(api.sessionLogins - loginsBefore).toBe(1);
		expect(harness.credentialData('cred-session-test').sessionToken).toBe(
			`session-${api.sessionLogins}`,
		);

		// No `test` on the OAuth2 credential: n8n checks that a node using it has an access token
		const oauth: CredentialRecord = {
			id: 'cred-oauth-test',
			name: 'OAuth2 test',
			type: 'harnessOAuth2Api',
			data: {},
		};
		expect(await harness.testCredential(oauth)).toEqual({
			status: 'Error',
			message: 'This OAuth2 credential was not connected to an account.',
		});
		oauth.data = { oauthTokenData: { access_token: 'a' } };
		expect(await harness.testCredential(oauth)).toEqual({
			status: 'OK',
			message: 'Connection Successful!',
		});
	});
});

describe('load options and list search with a LoadOptionsContext', () => {
	test('callListSearch passes filter and paginationToken and authenticates', async () => {
		const result = await harness.callListSearch('searchThings', {
			nodeType: PROBE,
			parameters: { authentication: 'apiKey', baseUrl: api.baseUrl },
			credential: apiKeyCredential(),
			filter: '.2',
			paginationToken: '1',
		});
		expect(result).toEqual({
			results: [{ name: 'Thing 1.2', value: 'thing-1-2' }],
			paginationToken: '2',
		});
		expect(api.requests.at(-1)?.headers['x-api-key']).toBe('secret-key');
	});

	test('callLoadOptions reads the current node parameters', async () => {
		const options = await harness.callLoadOptions('getThings', {
			nodeType: PROBE,
			parameters: { authentication: 'apiKey', baseUrl: api.baseUrl },
			credential: apiKeyCredential(),
		});
		expect(options.map((option) => option.value)).toEqual(['thing-1-1', 'thing-1-2', 'thing-1-3']);
	});
});

describe('the package itself', () => {
	const built = existsSync(
		path.join(__dirname, '..', '..', 'dist', 'nodes', 'MicrosoftIntune', 'MicrosoftIntune.node.js'),
	);
	(built ? test : test.skip)('loads from dist with the default node type', async () => {
		const own = new IntuneHarness();
		expect(own.packageName).toBe('n8n-nodes-microsoft-intune');
		expect(await own.nodeTypeNames()).toContain('n8n-nodes-microsoft-intune.microsoftIntune');
	});

	test('expressions run in n8n’s default engine (isolated-vm) unless N8N_EXPRESSION_ENGINE says legacy', () => {
		const expected = process.env.N8N_EXPRESSION_ENGINE === 'legacy' ? 'legacy' : 'vm';
		expect(n8n.workflow.Expression.getActiveImplementation()).toBe(expected);
	});
});
