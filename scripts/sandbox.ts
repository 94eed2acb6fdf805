// The sandbox tenant: the local Microsoft Graph + identity emulator (test/emulator), seeded with a few
// compliance policies and a few hundred user statuses, with Intune's throttling and its 204 answers to
// PATCH on by default. `npm run sandbox` runs it alone and prints the URLs and the credential values to
// use; `npm start` and the e2e suite start it in-process through startSandbox().
//
//   npm run sandbox [-- --port 5690 --https-port 5691 --policies 3 --statuses 100 --no-throttle --patch-status 200 --dir DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { deterministicGuid, generateTestPki, startEmulator } from '../test/emulator/index.ts';
import type { Emulator } from '../test/emulator/index.ts';
import { repoRoot } from './lib.ts';

/** Fixed ids so that the example workflows find their credentials (see examples/*.json). */
export const CREDENTIAL_IDS = {
	oAuth2: 'sandboxIntuneOA2',
	servicePrincipalSecret: 'sandboxIntuneSPs',
	servicePrincipalCertificate: 'sandboxIntuneSPc',
} as const;

export const CREDENTIAL_NAMES = {
	oAuth2: 'Intune sandbox (OAuth2)',
	servicePrincipalSecret: 'Intune sandbox (service principal, secret)',
	servicePrincipalCertificate: 'Intune sandbox (service principal, certificate)',
} as const;

/** The sandbox's app registration. Not a secret: it only opens the local emulator. */
export const SANDBOX_CLIENT_ID = deterministicGuid('sandbox-app');
export const SANDBOX_CLIENT_SECRET = 'sandbox-client-secret-only-for-the-local-emulator';

export interface SandboxOptions {
	/** HTTP port (Graph, identity, control API); 0 picks a free one. */
	port?: number;
	/** HTTPS port (the same, with a certificate from a test CA); 0 picks a free one. */
	httpsPort?: number;
	policies?: number;
	statusesPerPolicy?: number;
	/** Intune's request budgets (100 writes per 20 s per app): default on. */
	throttle?: boolean;
	/** What PATCH answers: 204 (Intune's usual answer, default) or 200 with the entity. */
	patchStatus?: 200 | 204;
	/** Where to write ca.pem, the client certificate and credentials.json (n8n's import format). */
	dir: string;
}

/** One credential in the format of `n8n import:credentials` (plaintext data, encrypted on import). */
export interface N8nCredential {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

export interface Sandbox {
	emulator: Emulator;
	httpUrl: string;
	httpsUrl: string;
	controlUrl: string;
	tenantId: string;
	clientId: string;
	clientSecret: string;
	/** The test CA that signed the HTTPS certificate: give it to n8n as NODE_EXTRA_CA_CERTS. */
	caFile: string;
	clientCertificateFile: string;
	clientKeyFile: string;
	credentialsFile: string;
	/** Fresh credentials (the OAuth2 one carries new tokens: the emulator forgets them when it stops). */
	credentials(): N8nCredential[];
	describe(): string;
	close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
	const emulator = await startEmulator({
		https: true,
		port: options.port ?? 0,
		httpsPort: options.httpsPort ?? 0,
		seed: { policies: options.policies ?? 3, statusesPerPolicy: options.statusesPerPolicy ?? 100 },
	});
	try {
		emulator.configure({ patchStatus: options.patchStatus ?? 204, throttle: { enabled: options.throttle ?? true } });
		const pki = await generateTestPki();
		const client = pki.makeClientCertificate({ cn: 'n8n Intune sandbox' });
		emulator.registerApp({ clientId: SANDBOX_CLIENT_ID, clientSecret: SANDBOX_CLIENT_SECRET, certificatePem: client.certificatePem });

		mkdirSync(options.dir, { recursive: true });
		const caFile = path.join(options.dir, 'ca.pem');
		const clientCertificateFile = path.join(options.dir, 'client-cert.pem');
		const clientKeyFile = path.join(options.dir, 'client-key.pem');
		const credentialsFile = path.join(options.dir, 'credentials.json');
		writeFileSync(caFile, emulator.caCertPem!);
		writeFileSync(clientCertificateFile, client.certificatePem);
		writeFileSync(clientKeyFile, client.privateKeyPem, { mode: 0o600 });

		const httpUrl = emulator.httpUrl;
		const httpsUrl = emulator.httpsUrl!;
		const common = { cloud: 'custom', tenantId: emulator.tenantId, clientId: SANDBOX_CLIENT_ID };
		const https = { ...common, graphApiBaseUrl: httpsUrl, loginBaseUrl: httpsUrl };
		const credentials = (): N8nCredential[] => {
			const tokens = emulator.issueUserTokens(SANDBOX_CLIENT_ID);
			return [
				{
					id: CREDENTIAL_IDS.oAuth2,
					name: CREDENTIAL_NAMES.oAuth2,
					type: 'microsoftIntuneOAuth2Api',
					// Plain HTTP: the delegated flow works without the test CA; the service principal ones use HTTPS.
					data: {
						...common,
						graphApiBaseUrl: httpUrl,
						loginBaseUrl: httpUrl,
						clientSecret: SANDBOX_CLIENT_SECRET,
						oauthTokenData: { ...tokens, scope: `${httpUrl}/DeviceManagementConfiguration.ReadWrite.All offline_access` },
					},
				},
				{
					id: CREDENTIAL_IDS.servicePrincipalSecret,
					name: CREDENTIAL_NAMES.servicePrincipalSecret,
					type: 'microsoftIntuneServicePrincipalApi',
					data: { ...https, clientCredentialType: 'clientSecret', clientSecret: SANDBOX_CLIENT_SECRET },
				},
				{
					id: CREDENTIAL_IDS.servicePrincipalCertificate,
					name: CREDENTIAL_NAMES.servicePrincipalCertificate,
					type: 'microsoftIntuneServicePrincipalApi',
					data: { ...https, clientCredentialType: 'certificate', certificate: client.certificatePem, privateKey: client.privateKeyPem },
				},
			];
		};
		const sandbox: Sandbox = {
			emulator,
			httpUrl,
			httpsUrl,
			controlUrl: `${httpUrl}/_emulator`,
			tenantId: emulator.tenantId,
			clientId: SANDBOX_CLIENT_ID,
			clientSecret: SANDBOX_CLIENT_SECRET,
			caFile,
			clientCertificateFile,
			clientKeyFile,
			credentialsFile,
			credentials() {
				const list = credentials();
				writeFileSync(credentialsFile, `${JSON.stringify(list, null, '\t')}\n`, { mode: 0o600 });
				return list;
			},
			describe() {
				let statuses = 0;
				for (const list of emulator.data.userStatuses.values()) statuses += list.length;
				const c = emulator.config;
				return [
					`Intune sandbox tenant (local Microsoft Graph + identity emulator)`,
					`  Graph and login, HTTP:   ${httpUrl}`,
					`  Graph and login, HTTPS:  ${httpsUrl}   (test CA: ${caFile}; give it to n8n as NODE_EXTRA_CA_CERTS)`,
					`  Control API:             ${httpUrl}/_emulator/state | /data | /requests   (POST /_emulator/reset restores the seed)`,
					`  Data:                    ${emulator.data.policies.length} compliance policies, ${statuses} user statuses`,
					...emulator.data.policies.map((p) => `      ${p.id}  ${p.displayName}`),
					`  Behaviour:               PATCH answers ${c.patchStatus}; throttling ${c.throttle.enabled ? `on (${c.throttle.writesPerWindow} writes and ${c.throttle.requestsPerWindow} requests per ${c.throttle.windowMs / 1000} s per app)` : 'off'}`,
					``,
					`Credential values (either credential type, Cloud = "Custom"):`,
					`  Graph API Base URL:      ${httpsUrl}   (or ${httpUrl} for OAuth2)`,
					`  Login Base URL:          ${httpsUrl}   (or ${httpUrl} for OAuth2)`,
					`  Tenant ID:               ${emulator.tenantId}   (or ${emulator.tenantDomain})`,
					`  Client ID:               ${SANDBOX_CLIENT_ID}`,
					`  Client Secret:           ${SANDBOX_CLIENT_SECRET}`,
					`  Certificate / key (PEM): ${clientCertificateFile} / ${clientKeyFile}`,
					`  OAuth2: "Connect my account" signs the sandbox user in at once; ready-made credentials (with tokens) for`,
					`  \`n8n import:credentials --input=…\`: ${credentialsFile}`,
				].join('\n');
			},
			close: () => emulator.close(),
		};
		return sandbox;
	} catch (e) {
		await emulator.close();
		throw e;
	}
}

function intArg(value: string | undefined, name: string, fallback: number): number {
	if (value === undefined) return fallback;
	const n = Number(value);
	if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} needs a non-negative whole number, got '${value}'`);
	return n;
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			port: { type: 'string' },
			'https-port': { type: 'string' },
			policies: { type: 'string' },
			statuses: { type: 'string' },
			'no-throttle': { type: 'boolean', default: false },
			'patch-status': { type: 'string' },
			dir: { type: 'string' },
			json: { type: 'boolean', default: false },
			help: { type: 'boolean', default: false },
		},
	});
	if (values.help) {
		console.log('usage: npm run sandbox [-- --port 5690 --https-port 5691 --policies 3 --statuses 100 --no-throttle --patch-status 200|204 --dir DIR --json]');
		return;
	}
	const patchStatus = intArg(values['patch-status'], 'patch-status', 204);
	if (patchStatus !== 200 && patchStatus !== 204) throw new Error('--patch-status is 200 or 204');
	const sandbox = await startSandbox({
		port: intArg(values.port ?? process.env.SANDBOX_PORT, 'port', 5690),
		httpsPort: intArg(values['https-port'] ?? process.env.SANDBOX_HTTPS_PORT, 'https-port', 5691),
		policies: intArg(values.policies, 'policies', 3),
		statusesPerPolicy: intArg(values.statuses, 'statuses', 100),
		throttle: !values['no-throttle'],
		patchStatus,
		dir: path.resolve(values.dir ?? path.join(repoRoot(), '.n8n-local', 'sandbox')),
	});
	sandbox.credentials();
	if (values.json) {
		console.log(JSON.stringify({
			httpUrl: sandbox.httpUrl, httpsUrl: sandbox.httpsUrl, controlUrl: sandbox.controlUrl, tenantId: sandbox.tenantId,
			clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, caFile: sandbox.caFile,
			clientCertificateFile: sandbox.clientCertificateFile, clientKeyFile: sandbox.clientKeyFile, credentialsFile: sandbox.credentialsFile,
		}));
	} else {
		console.log(`${sandbox.describe()}\n\nRunning until Ctrl-C. (npm start runs this sandbox and n8n together.)`);
	}
	const stop = () => {
		sandbox.close().then(() => process.exit(0), () => process.exit(1));
	};
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
}

if (/sandbox\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
	main().catch((e) => {
		console.error(`sandbox: ${(e as Error).message}`);
		process.exit(1);
	});
}
