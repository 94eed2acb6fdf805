// The emulator's whole mutable state, shared by both listeners and every handler.
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { FaultQueue } from './faults.ts';
import { seedData } from './seed.ts';
import { Throttle } from './throttle.ts';
import { TokenStore } from './tokens.ts';
import type {
	AppRegistration,
	EmulatorConfig,
	EmulatorConfigPatch,
	EmulatorData,
	EmulatorOptions,
	LoggedRequest,
	LoggedTokenRequest,
} from './types.ts';

export const DEFAULT_TENANT_ID = '5f1c9a3e-8b2d-4c7a-9e61-3d0b7f2a4c18';
export const TENANT_DOMAIN = 'contoso.onmicrosoft.com';

export function defaultConfig(): EmulatorConfig {
	return {
		patchStatus: 200,
		pageSize: 100,
		topMode: 'honour',
		nextLinkOrigin: undefined,
		shuffleBatchResponses: true,
		latencyMs: 0,
		throttle: {
			enabled: false,
			writesPerWindow: 100,
			requestsPerWindow: 1000,
			windowMs: 20_000,
			retryAfter: 'seconds',
		},
		tokenLifetimeSeconds: 3600,
	};
}

export interface RegisteredApp extends AppRegistration {
	/** Parsed certificate: base64url thumbprints of the DER and the public key. */
	cert?: { x5tS256: string; x5t: string; publicKey: KeyObject };
}

/** State behind a $skiptoken: where the next page starts and which options produced the list. */
export interface PageState {
	scope: string;
	offset: number;
	pageSize: number;
	filter?: string;
	select?: string;
}

export class EmulatorState {
	readonly tenantId: string;
	readonly tenantDomain = TENANT_DOMAIN;
	readonly config: EmulatorConfig = defaultConfig();
	readonly data: EmulatorData = { policies: [], userStatuses: new Map() };
	readonly apps = new Map<string, RegisteredApp>();
	readonly tokens = new TokenStore();
	readonly throttle = new Throttle();
	readonly faults = new FaultQueue();
	readonly requests: LoggedRequest[] = [];
	readonly tokenRequests: LoggedTokenRequest[] = [];
	readonly skiptokens = new Map<string, PageState>();
	/** Origins the listeners answer on (lower case, no trailing slash); filled once listening. */
	readonly origins = new Set<string>();
	private readonly seed: EmulatorOptions['seed'];

	constructor(options: EmulatorOptions = {}) {
		this.tenantId = (options.tenantId ?? DEFAULT_TENANT_ID).toLowerCase();
		this.seed = options.seed;
		seedData(this.data, this.seed);
	}

	/** Merges a partial config (throttle merged key by key); the config object itself is kept. */
	configure(patch: EmulatorConfigPatch): void {
		// Catch typos early: an unknown switch would otherwise be ignored silently.
		const known = defaultConfig();
		const unknown = [
			...Object.keys(patch).filter((k) => !(k in known)),
			...Object.keys(patch.throttle ?? {})
				.filter((k) => !(k in known.throttle))
				.map((k) => `throttle.${k}`),
		];
		if (unknown.length)
			throw new Error(`Invalid emulator config: unknown setting(s) ${unknown.join(', ')}`);
		const next: EmulatorConfig = {
			...this.config,
			...patch,
			throttle: { ...this.config.throttle, ...(patch.throttle ?? {}) },
		} as EmulatorConfig;
		// JSON callers (the control API) clear the hostile origin with null.
		next.nextLinkOrigin = next.nextLinkOrigin ? next.nextLinkOrigin.replace(/\/+$/, '') : undefined;
		validateConfig(next);
		Object.assign(this.config.throttle, next.throttle);
		Object.assign(this.config, { ...next, throttle: this.config.throttle });
	}

	/** Re-seeds data and clears logs, faults, throttle windows, page tokens and config; apps and issued tokens stay. */
	reset(): void {
		seedData(this.data, this.seed);
		this.requests.length = 0;
		this.tokenRequests.length = 0;
		this.faults.clear();
		this.throttle.clear();
		this.skiptokens.clear();
		const defaults = defaultConfig();
		for (const key of Object.keys(this.config) as (keyof EmulatorConfig)[])
			if (!(key in defaults)) delete this.config[key];
		Object.assign(this.config.throttle, defaults.throttle);
		Object.assign(this.config, { ...defaults, throttle: this.config.throttle });
	}

	registerApp(app: AppRegistration): void {
		if (!app || typeof app.clientId !== 'string' || !app.clientId)
			throw new Error('registerApp needs a clientId');
		const record: RegisteredApp = { consented: true, ...app };
		if (app.certificatePem) {
			const cert = new X509Certificate(app.certificatePem);
			record.cert = {
				x5tS256: createHash('sha256').update(cert.raw).digest('base64url'),
				x5t: createHash('sha1').update(cert.raw).digest('base64url'),
				publicKey: cert.publicKey,
			};
		}
		this.apps.set(app.clientId.toLowerCase(), record);
	}

	app(clientId: string | undefined): RegisteredApp | undefined {
		return clientId ? this.apps.get(clientId.toLowerCase()) : undefined;
	}

	isTenant(tenant: string): boolean {
		const t = tenant.toLowerCase();
		return t === this.tenantId || t === this.tenantDomain;
	}

	isOwnOrigin(origin: string): boolean {
		return this.origins.has(origin.toLowerCase().replace(/\/+$/, ''));
	}

	/** Adds the ways a client can name a listener: 127.0.0.1, localhost and [::1] with its port. */
	addListenerOrigins(scheme: 'http' | 'https', port: number): void {
		for (const host of ['127.0.0.1', 'localhost', '[::1]'])
			this.origins.add(`${scheme}://${host}:${port}`);
	}
}

function validateConfig(c: EmulatorConfig): void {
	const bad = (what: string) => {
		throw new Error(`Invalid emulator config: ${what}`);
	};
	if (c.patchStatus !== 200 && c.patchStatus !== 204) bad('patchStatus must be 200 or 204');
	if (!['honour', 'cap', 'ignore'].includes(c.topMode))
		bad("topMode must be 'honour', 'cap' or 'ignore'");
	if (!Number.isInteger(c.pageSize) || c.pageSize < 1) bad('pageSize must be a positive integer');
	if (!(c.latencyMs >= 0)) bad('latencyMs must be >= 0');
	if (!(c.tokenLifetimeSeconds > 0)) bad('tokenLifetimeSeconds must be > 0');
	if (c.nextLinkOrigin !== undefined && !/^https?:\/\/[^/]+$/i.test(c.nextLinkOrigin)) {
		bad('nextLinkOrigin must be an origin like http://127.0.0.1:1234');
	}
	const t = c.throttle;
	if (!['seconds', 'decimal', 'none'].includes(t.retryAfter))
		bad("throttle.retryAfter must be 'seconds', 'decimal' or 'none'");
	for (const k of ['writesPerWindow', 'requestsPerWindow', 'windowMs'] as const) {
		if (!Number.isInteger(t[k]) || t[k] < 1) bad(`throttle.${k} must be a positive integer`);
	}
	if (typeof t.enabled !== 'boolean') bad('throttle.enabled must be a boolean');
	if (typeof c.shuffleBatchResponses !== 'boolean') bad('shuffleBatchResponses must be a boolean');
}
