// Public API of the local Microsoft Graph + Microsoft identity platform emulator.
// Runs under jest (ts-jest) and directly under Node 24 (type stripping): erasable syntax only.
import { userTokenBody } from './identity.ts';
import { generateTestPki } from './pki.ts';
import { createRequestHandler, listen, type Listener, type ListenerUrls } from './server.ts';
import { EmulatorState } from './state.ts';
import type { Emulator, EmulatorOptions, UserTokens } from './types.ts';

export type {
	AppRegistration,
	Emulator,
	EmulatorConfig,
	EmulatorConfigPatch,
	EmulatorData,
	EmulatorOptions,
	Fault,
	LoggedRequest,
	LoggedTokenRequest,
	Policy,
	ThrottleConfig,
	UserStatus,
	UserTokens,
} from './types.ts';
export type { ClientCertificate, ClientCertificateOptions, TestPki } from './pki.ts';
export type { Recorder, RecordedRequest } from './recorder.ts';
export type { SignAssertionOptions } from './assertion.ts';
export { generateTestPki, certificateThumbprintSha256 } from './pki.ts';
export { startRecorder } from './recorder.ts';
export { signClientAssertion } from './assertion.ts';
export { DEFAULT_TENANT_ID, TENANT_DOMAIN, defaultConfig } from './state.ts';
export { deterministicGuid } from './seed.ts';
export { MAX_BATCH_REQUESTS } from './batch.ts';
export { COMPLIANCE_STATUSES } from './entities.ts';

/** Scope granted to delegated tokens minted by issueUserTokens. */
const USER_PERMISSION = 'DeviceManagementConfiguration.ReadWrite.All';

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
	const state = new EmulatorState(options);
	const pki = options.https ? await generateTestPki() : undefined;
	const urls: ListenerUrls = { httpUrl: '' };
	const listeners: Listener[] = [];
	try {
		const http = await listen(createRequestHandler(state, 'http', urls), options.port ?? 0);
		listeners.push(http);
		urls.httpUrl = `http://127.0.0.1:${http.port}`;
		state.addListenerOrigins('http', http.port);
		if (pki) {
			const https = await listen(
				createRequestHandler(state, 'https', urls),
				options.httpsPort ?? 0,
				{ key: pki.serverKeyPem, cert: pki.serverCertPem },
			);
			listeners.push(https);
			urls.httpsUrl = `https://localhost:${https.port}`;
			state.addListenerOrigins('https', https.port);
		}
	} catch (e) {
		await Promise.all(listeners.map((l) => l.close()));
		throw e;
	}

	let closed: Promise<void> | undefined;
	return {
		httpUrl: urls.httpUrl,
		httpsUrl: urls.httpsUrl,
		caCertPem: pki?.caCertPem,
		tenantId: state.tenantId,
		tenantDomain: state.tenantDomain,
		config: state.config,
		configure: (partial) => state.configure(partial),
		reset: () => state.reset(),
		registerApp: (app) => state.registerApp(app),
		issueUserTokens(clientId: string): UserTokens {
			const app = state.app(clientId);
			if (!app)
				throw new Error(
					`issueUserTokens: register the app '${clientId}' first (emulator.registerApp).`,
				);
			const base = urls.httpsUrl ?? urls.httpUrl;
			const t = userTokenBody(state, app.clientId, `${base}/${USER_PERMISSION} offline_access`);
			return {
				access_token: t.access_token,
				refresh_token: t.refresh_token,
				expires_in: t.expires_in,
				token_type: 'Bearer',
			};
		},
		expireAllAccessTokens: () => state.tokens.expireAll(),
		injectFaults: (...faults) => state.faults.add(...faults),
		requests: state.requests,
		tokenRequests: state.tokenRequests,
		data: state.data,
		close: () => (closed ??= Promise.all(listeners.map((l) => l.close())).then(() => undefined)),
	};
}
