import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { randomUUID } from 'node:crypto';

import { generateTestPki } from '../emulator/index.ts';
import type { World } from './world';
import { expectNoSecrets, startWorld, updateItems, updateParameters } from './world';

let world: World;
let pki: Awaited<ReturnType<typeof generateTestPki>>;

beforeAll(async () => {
	world = await startWorld({ statusesPerPolicy: 80 });
	pki = await generateTestPki();
});
afterAll(async () => await world.close());
beforeEach(() => world.emulator.reset());

const spParameters = (overrides = {}) =>
	updateParameters({ authentication: 'servicePrincipal', ...overrides });
const clientCredentialGrants = () =>
	world.emulator.tokenRequests.filter((r) => r.grantType === 'client_credentials');

/** A new app registration with its own certificate; returns the credential fields for it. */
function certificateApp(options: Parameters<typeof pki.makeClientCertificate>[0] = {}) {
	const clientId = randomUUID();
	const certificate = pki.makeClientCertificate(options);
	world.emulator.registerApp({ clientId, certificatePem: certificate.certificatePem });
	return {
		certificate,
		fields: {
			clientId,
			clientCredentialType: 'certificate',
			certificate: certificate.certificatePem,
			privateKey: certificate.privateKeyPem,
			privateKeyPassphrase: options.encryptWithPassphrase ?? '',
		},
	};
}

describe('Service Principal credential', () => {
	it('updates with a client secret; the token is fetched once and reused by the next run', async () => {
		const credential = world.servicePrincipalCredential();
		const items = updateItems(world.policy(), 3);
		const first = await world.run({ parameters: spParameters(), items, credential });
		expect(first.status).toBe('success');
		expect(first.items.map((item) => item.json.status)).toEqual(Array(3).fill('remediated'));
		expect(world.harness.credentialData(credential.id).accessToken).toMatch(/\S{20,}/);

		const second = await world.run({ parameters: spParameters(), items, credential });
		expect(second.status).toBe('success');
		expect(clientCredentialGrants().map((r) => [r.status, r.clientAuthentication])).toEqual([
			[200, 'secret'],
		]);
		expect(
			world.emulator.requests.filter((r) => r.clientId === world.clientId).length,
		).toBeGreaterThan(0);
		expectNoSecrets([first, second], world.secrets(credential));
	});

	it.each([
		['a PKCS#8 key', {}],
		['a PKCS#1 key', { pkcs1: true }],
		['an encrypted key with its passphrase', { encryptWithPassphrase: 'correct horse battery' }],
	])('updates with a certificate and %s', async (_case, options) => {
		const app = certificateApp(options);
		const credential = world.servicePrincipalCredential(app.fields);
		const result = await world.run({
			parameters: spParameters(),
			items: updateItems(world.policy(1), 2),
			credential,
		});
		expect(result.status).toBe('success');
		expect(result.items.map((item) => item.json.status)).toEqual(['remediated', 'remediated']);
		expect(clientCredentialGrants().map((r) => [r.clientId, r.status])).toEqual([
			[app.fields.clientId, 200],
		]);
		// The assertion is the current form: PS256, the SHA-256 thumbprint, and the certificate in x5c.
		const [grant] = clientCredentialGrants();
		expect(grant.clientAuthentication).toBe('assertion');
		expect(grant.assertionHeader).toEqual(
			expect.objectContaining({ alg: 'PS256', 'x5t#S256': app.certificate.thumbprintSha256 }),
		);
		expect(grant.assertionHeader!.x5t).toBeUndefined();
		expect(grant.assertionHeader!.x5c).toEqual([
			app.certificate.certificatePem.replace(/-----[^-]+-----|\s/g, ''),
		]);
		expectNoSecrets(result, [
			...world.secrets(credential),
			app.certificate.privateKeyPem.split('\n')[1],
		]);
	});

	it('survives its token expiring in the middle of a run of many items, with few token requests', async () => {
		// A new app, so that no token of it is cached in the process yet.
		const clientId = randomUUID();
		world.emulator.registerApp({ clientId, clientSecret: world.clientSecret });
		const credential = world.servicePrincipalCredential({ clientId });
		world.emulator.configure({ latencyMs: 20 });
		const items = updateItems(world.policy(2), 80);
		const running = world.run({
			parameters: spParameters({ options: { batching: false, concurrency: 4 } }),
			items,
			credential,
		});
		// Expire every token once the run is under way.
		while (world.emulator.requests.length < 20)
			await new Promise((resolve) => setTimeout(resolve, 2));
		const sentBeforeExpiry = world.emulator.requests.length;
		world.emulator.expireAllAccessTokens();
		const result = await running;

		expect(sentBeforeExpiry).toBeGreaterThan(0);
		expect(sentBeforeExpiry).toBeLessThan(80);
		expect(result.status).toBe('success');
		expect(result.items.map((item) => item.json.id)).toEqual(
			items.map((item) => item.userStatusId),
		);
		expect(world.emulator.requests.some((r) => r.status === 401)).toBe(true);
		// The first token, and one more after expiry however many requests were refused at once.
		expect(clientCredentialGrants().length).toBe(2);
	});

	it('passes the credential test, and fails it with a clear message for a wrong secret', async () => {
		const ok = await world.harness.testCredential(world.servicePrincipalCredential());
		expect(ok.status).toBe('OK');
		const wrong = await world.harness.testCredential(
			world.servicePrincipalCredential({ clientSecret: 'not-the-secret' }),
		);
		expect(wrong.status).toBe('Error');
		expect(wrong.message).toContain('AADSTS7000215');
		expect(wrong.message).not.toContain('not-the-secret');
	});
});

describe('Service Principal errors say what to fix', () => {
	async function failure(data: ICredentialDataDecryptedObject) {
		const credential = world.servicePrincipalCredential(data);
		const result = await world.run({
			parameters: spParameters(),
			items: updateItems(world.policy(), 2),
			credential,
		});
		expect(result.status).toBe('error');
		expect(world.emulator.requests.filter((r) => r.status < 400)).toHaveLength(0);
		expectNoSecrets(result, [world.clientSecret, String(data.clientSecret ?? 'none-given')]);
		return `${result.error!.message} ${result.error!.description ?? ''}`;
	}

	it('a wrong secret', async () => {
		const message = await failure({ clientSecret: 'wrong-secret-value-123' });
		expect(message).toContain('AADSTS7000215');
		expect(message).toContain('The client secret is wrong');
	});

	it('an expired secret', async () => {
		const clientId = randomUUID();
		world.emulator.registerApp({
			clientId,
			clientSecret: 'expired-secret-value',
			secretExpired: true,
		});
		const message = await failure({ clientId, clientSecret: 'expired-secret-value' });
		expect(message).toContain('AADSTS7000222');
		expect(message).toContain('expired');
	});

	it('an unknown app', async () => {
		const message = await failure({ clientId: randomUUID() });
		expect(message).toContain('AADSTS700016');
		expect(message).toContain('check the Client ID');
	});

	it('a wrong tenant (or the wrong cloud)', async () => {
		const message = await failure({ tenantId: randomUUID() });
		expect(message).toContain('check the Tenant ID and the cloud');
		expect(message).toContain('another cloud');
	});

	it('a multi-tenant alias as tenant', async () => {
		const message = await failure({ tenantId: 'organizations' });
		expect(message).toContain('Tenant ID "organizations" cannot issue app-only tokens');
		expect(world.emulator.tokenRequests).toHaveLength(0);
	});

	it('a certificate whose key does not match', async () => {
		const app = certificateApp();
		const other = pki.makeClientCertificate();
		const message = await failure({ ...app.fields, privateKey: other.privateKeyPem });
		expect(message).toContain('The private key does not belong to the certificate');
		expect(world.emulator.tokenRequests).toHaveLength(0);
		expect(message).not.toContain('PRIVATE KEY');
	});

	it('an encrypted key without or with a wrong passphrase', async () => {
		const app = certificateApp({ encryptWithPassphrase: 'right-passphrase' });
		expect(await failure({ ...app.fields, privateKeyPassphrase: '' })).toContain(
			'fill in the Private Key Passphrase',
		);
		expect(await failure({ ...app.fields, privateKeyPassphrase: 'wrong-passphrase' })).toContain(
			'check the Private Key Passphrase',
		);
	});

	it('a certificate not uploaded to the app', async () => {
		const app = certificateApp();
		const stranger = pki.makeClientCertificate();
		const message = await failure({
			...app.fields,
			certificate: stranger.certificatePem,
			privateKey: stranger.privateKeyPem,
		});
		expect(message).toContain('AADSTS700027');
		expect(message).toContain('upload this certificate');
	});

	it('missing admin consent (403 from Graph)', async () => {
		const clientId = randomUUID();
		world.emulator.registerApp({ clientId, clientSecret: world.clientSecret, consented: false });
		const credential = world.servicePrincipalCredential({ clientId });
		const result = await world.run({
			parameters: spParameters(),
			items: updateItems(world.policy(), 1),
			credential,
		});
		expect(result.status).toBe('error');
		expect(result.error!.message).toMatch(/^Forbidden: /);
		expect(result.error!.description).toContain('DeviceManagementConfiguration.ReadWrite.All');
		expect(result.error!.description).toContain('answered 403');
	});
});
