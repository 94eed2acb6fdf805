// Standalone emulator for end-to-end tests of a real n8n:
//   node test/emulator/cli.ts [--port 8080] [--https-port 8443] [--no-https] [--throttle] [--patch-status 204]
//        [--policies N --statuses N] [--latency MS] [--pki-dir DIR] [--client-id ID] [--client-secret S]
// Registers one sandbox app, prints one JSON line with URLs and credential values, and stays up until
// SIGINT/SIGTERM. Drive it over HTTP with the /_emulator/... control API.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateTestPki, startEmulator, type Emulator } from './index.ts';

const USAGE =
	'usage: node test/emulator/cli.ts [--port N] [--https-port N] [--no-https] [--throttle] [--patch-status 200|204] [--policies N] [--statuses N] [--latency MS] [--pki-dir DIR] [--client-id ID] [--client-secret S]';

function intOption(value: string | undefined, name: string): number | undefined {
	if (value === undefined) return undefined;
	const n = Number(value);
	if (!Number.isInteger(n) || n < 0)
		throw new Error(`--${name} needs a non-negative integer, got '${value}'`);
	return n;
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			port: { type: 'string' },
			'https-port': { type: 'string' },
			'no-https': { type: 'boolean', default: false },
			throttle: { type: 'boolean', default: false },
			'patch-status': { type: 'string' },
			policies: { type: 'string' },
			statuses: { type: 'string' },
			latency: { type: 'string' },
			'pki-dir': { type: 'string' },
			'client-id': { type: 'string' },
			'client-secret': { type: 'string' },
			help: { type: 'boolean', default: false },
		},
	});
	if (values.help) {
		console.log(USAGE);
		return;
	}
	// Handlers first, so a signal during start-up also ends the process cleanly.
	let emulator: Emulator | undefined;
	const stop = () => {
		(emulator?.close() ?? Promise.resolve()).then(
			() => process.exit(0),
			() => process.exit(1),
		);
	};
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);

	const patchStatus = intOption(values['patch-status'], 'patch-status');
	if (patchStatus !== undefined && patchStatus !== 200 && patchStatus !== 204)
		throw new Error('--patch-status must be 200 or 204');

	// HTTPS is on by default: MSAL (the service principal credential) only talks to HTTPS authorities.
	emulator = await startEmulator({
		https: !values['no-https'],
		port: intOption(values.port, 'port'),
		httpsPort: intOption(values['https-port'], 'https-port'),
		seed: {
			policies: intOption(values.policies, 'policies'),
			statusesPerPolicy: intOption(values.statuses, 'statuses'),
		},
	});
	if (values.throttle) emulator.configure({ throttle: { enabled: true } });
	if (patchStatus !== undefined) emulator.configure({ patchStatus: patchStatus as 200 | 204 });
	const latency = intOption(values.latency, 'latency');
	if (latency !== undefined) emulator.configure({ latencyMs: latency });

	const clientId = values['client-id'] ?? randomUUID();
	const clientSecret = values['client-secret'] ?? randomBytes(24).toString('base64url');
	let pkiFiles: Record<string, string> = {};
	let certificatePem: string | undefined;
	if (values['pki-dir']) {
		const dir = resolve(values['pki-dir']);
		mkdirSync(dir, { recursive: true });
		const pki = await generateTestPki();
		const client = pki.makeClientCertificate();
		certificatePem = client.certificatePem;
		const files = {
			caCertPath: join(dir, 'ca.pem'),
			clientCertificatePath: join(dir, 'client-cert.pem'),
			clientKeyPath: join(dir, 'client-key.pem'),
		};
		writeFileSync(files.caCertPath, emulator.caCertPem ?? pki.caCertPem);
		writeFileSync(files.clientCertificatePath, client.certificatePem);
		writeFileSync(files.clientKeyPath, client.privateKeyPem, { mode: 0o600 });
		pkiFiles = {
			...files,
			thumbprintSha256: client.thumbprintSha256,
			thumbprintSha256Hex: Buffer.from(client.thumbprintSha256, 'base64url').toString('hex'),
		};
	}
	emulator.registerApp({ clientId, clientSecret, certificatePem });

	const base = emulator.httpsUrl ?? emulator.httpUrl;
	console.log(
		JSON.stringify({
			httpUrl: emulator.httpUrl,
			httpsUrl: emulator.httpsUrl,
			tenantId: emulator.tenantId,
			tenantDomain: emulator.tenantDomain,
			authority: `${base}/${emulator.tenantId}`,
			knownAuthority: new URL(base).host,
			tokenEndpoint: `${base}/${emulator.tenantId}/oauth2/v2.0/token`,
			authorizeEndpoint: `${base}/${emulator.tenantId}/oauth2/v2.0/authorize`,
			graphBaseUrl: base,
			scope: `${base}/.default`,
			clientId,
			clientSecret,
			...pkiFiles,
			controlUrl: `${emulator.httpUrl}/_emulator`,
		}),
	);
}

main().catch((e) => {
	console.error(`graph emulator: ${(e as Error).message}\n${USAGE}`);
	process.exit(1);
});
