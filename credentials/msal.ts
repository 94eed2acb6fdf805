import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import type { Configuration } from '@azure/msal-node';
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { resolveCloud } from './clouds';

/**
 * App-only tokens from MSAL. One ConfidentialClientApplication per distinct credential is kept for the
 * life of the process, so MSAL's token cache serves every execution until the token nears expiry.
 */

export interface ServicePrincipalCredentials {
	cloud?: unknown;
	graphApiBaseUrl?: unknown;
	loginBaseUrl?: unknown;
	tenantId?: unknown;
	clientId?: unknown;
	clientCredentialType?: unknown;
	clientSecret?: unknown;
	privateKey?: unknown;
	privateKeyPassphrase?: unknown;
	certificate?: unknown;
	/** The token n8n holds for this credential; when preAuthentication runs while it is set, Graph refused it. */
	accessToken?: unknown;
}

/** A problem with the credential or the token endpoint; its message is written for the user and holds no secret. */
export class CredentialError extends Error {
	static readonly errorName = 'MicrosoftIntuneCredentialError';

	readonly name = CredentialError.errorName;
}

interface Application {
	client: ConfidentialClientApplication;
	scope: string;
	/** The newest token MSAL gave out, so that requests refused with an older one reuse it. */
	latest?: { accessToken: string; expiresOn: number };
	inFlight?: Promise<string>;
}

const applications = new Map<string, Application>();

const MULTI_TENANT = ['common', 'organizations', 'consumers'];
const TENANT =
	/^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)$/i;

/** AADSTS codes a user can act on, with what to do. */
const AADSTS_HINTS: Record<string, string> = {
	'7000215':
		'The client secret is wrong: copy the secret Value (not its ID) from the app registration.',
	'7000222': 'The client secret has expired: create a new one in the app registration.',
	'700016':
		'No app with this Client ID exists in this tenant: check the Client ID, the Tenant ID and the cloud.',
	'700027':
		'The certificate assertion was refused: upload this certificate to the app registration, and check the private key belongs to it.',
	'90002':
		'The tenant was not found: check the Tenant ID, and whether the tenant is in another cloud (US Government, China).',
	'70011': 'The scope was refused: the cloud selected does not match the tenant.',
	'7000112': 'The app is disabled in this tenant.',
	'700024':
		'The certificate assertion is outside its validity period: check the clock of the n8n host.',
};

function text(value: unknown): string {
	return typeof value === 'string' ? value.trim() : '';
}

function fingerprint(...parts: string[]): string {
	return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

interface ClientCertificate {
	thumbprintSha256: string;
	privateKey: string;
	x5c: string;
}

function parseCertificate(pem: string): X509Certificate | undefined {
	try {
		return new X509Certificate(pem);
	} catch {
		return undefined;
	}
}

/** The key, or the reason it could not be read (an OpenSSL code, never the key). */
function parsePrivateKey(pem: string, passphrase: string): KeyObject | string {
	try {
		return createPrivateKey(passphrase ? { key: pem, passphrase } : { key: pem });
	} catch (error) {
		return (error as { code?: string }).code ?? 'unreadable';
	}
}

/** Reads the PEM certificate (chain) and key; the SHA-256 thumbprint is computed, never typed. */
export function readCertificate(
	certificatePem: string,
	privateKeyPem: string,
	passphrase: string,
): ClientCertificate {
	const pems = certificatePem.match(
		/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
	);
	if (!pems)
		throw new CredentialError(
			'The Certificate field holds no PEM certificate (-----BEGIN CERTIFICATE-----)',
		);
	const leaf = parseCertificate(pems[0]);
	if (!leaf)
		throw new CredentialError(
			'The Certificate field holds a PEM block that is not a valid X.509 certificate',
		);
	const key = parsePrivateKey(privateKeyPem, passphrase);
	if (typeof key === 'string') {
		const encrypted = /ENCRYPTED/.test(privateKeyPem);
		throw new CredentialError(
			encrypted && !passphrase
				? 'The private key is encrypted: fill in the Private Key Passphrase'
				: encrypted
					? 'The private key could not be decrypted: check the Private Key Passphrase'
					: `The Private Key field is not a PEM private key (${key})`,
		);
	}
	const keyOfCertificate = leaf.publicKey.export({
		type: 'spki',
		format: 'der',
	});
	const keyOfPrivateKey = createPublicKey(key).export({
		type: 'spki',
		format: 'der',
	});
	if (!keyOfCertificate.equals(keyOfPrivateKey)) {
		throw new CredentialError(
			'The private key does not belong to the certificate: paste the key the certificate was made from',
		);
	}
	return {
		thumbprintSha256: createHash('sha256').update(leaf.raw).digest('hex'),
		privateKey: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
		x5c: pems.join('\n'),
	};
}

function applicationFor(credentials: ServicePrincipalCredentials): Application {
	const { graphBaseUrl, loginBaseUrl } = resolveCloud(credentials);
	const tenantId = text(credentials.tenantId);
	const clientId = text(credentials.clientId);
	if (!tenantId) throw new CredentialError('The credential has no Tenant ID');
	if (MULTI_TENANT.includes(tenantId.toLowerCase())) {
		throw new CredentialError(
			`Tenant ID "${tenantId}" cannot issue app-only tokens: use the directory (tenant) ID or the tenant's domain`,
		);
	}
	if (!TENANT.test(tenantId))
		throw new CredentialError(`Tenant ID "${tenantId}" is neither a GUID nor a domain name`);
	if (!clientId) throw new CredentialError('The credential has no Client ID');

	const useCertificate = credentials.clientCredentialType === 'certificate';
	const secret = useCertificate ? '' : text(credentials.clientSecret);
	const certificatePem = useCertificate ? text(credentials.certificate) : '';
	const privateKeyPem = useCertificate ? text(credentials.privateKey) : '';
	const passphrase = useCertificate ? String(credentials.privateKeyPassphrase ?? '') : '';
	if (!useCertificate && !secret) throw new CredentialError('The credential has no Client Secret');

	// Secrets only enter the key through a hash: the map never holds them in the clear.
	const key = fingerprint(
		loginBaseUrl,
		graphBaseUrl,
		tenantId,
		clientId,
		secret,
		certificatePem,
		privateKeyPem,
		passphrase,
	);
	const existing = applications.get(key);
	if (existing) return existing;

	const authority = `${loginBaseUrl}/${tenantId}`;
	const configuration: Configuration = {
		auth: {
			clientId,
			authority,
			...(useCertificate
				? {
						clientCertificate: readCertificate(certificatePem, privateKeyPem, passphrase),
					}
				: { clientSecret: secret }),
			// MSAL only trusts the hosts it knows; a custom cloud (a proxy, a local emulator) must be named.
			...(credentials.cloud === 'custom' ? { knownAuthorities: [new URL(loginBaseUrl).host] } : {}),
		},
		system: {
			loggerOptions: {
				logLevel: LogLevel.Error,
				piiLoggingEnabled: false,
				loggerCallback: () => undefined,
			},
		},
	};
	const application: Application = {
		client: new ConfidentialClientApplication(configuration),
		scope: `${graphBaseUrl}/.default`,
	};
	applications.set(key, application);
	return application;
}

/** MSAL's own error codes (no AADSTS code reached it) a user can act on. */
const MSAL_HINTS: Record<string, string> = {
	endpoints_resolution_error:
		'The sign-in metadata of this tenant could not be read: check the Tenant ID and the cloud (a tenant of another cloud is not found here), and for a custom cloud the Login Base URL.',
};

/** Turns MSAL's errors into messages that say what to fix; AADSTS texts name no secret. */
function explain(error: unknown): CredentialError {
	if (error instanceof CredentialError) return error;
	const failure = error as {
		errorCode?: string;
		errorMessage?: string;
		message?: string;
	};
	const detail = failure.errorMessage || failure.message || String(error);
	const code = /AADSTS(\d+)/.exec(detail)?.[1];
	const hint = code ? AADSTS_HINTS[code] : MSAL_HINTS[failure.errorCode ?? ''];
	const firstLine = code
		? detail.split(/\r?\n|Trace ID:/)[0].trim()
		: detail.replace(/See https:\/\/aka\.ms\/\S+ for details\.?/, '').trim();
	return new CredentialError(
		[
			`Could not get an app-only token (${failure.errorCode ?? 'error'})${firstLine ? `: ${firstLine}` : '.'}`,
			hint,
		]
			.filter(Boolean)
			.join(' '),
	);
}

/**
 * An access token for Graph. `refused` is the token Graph just rejected, if any: a newer token is
 * reused, otherwise MSAL must skip its cache (it would hand the same token back). Concurrent callers of
 * one credential share one token request.
 */
export async function acquireAppToken(credentials: ServicePrincipalCredentials): Promise<string> {
	const application = applicationFor(credentials);
	const refused = text(credentials.accessToken);
	const latest = application.latest;
	if (refused && latest && latest.accessToken !== refused && latest.expiresOn > Date.now()) {
		return latest.accessToken;
	}
	if (application.inFlight) return await application.inFlight;

	application.inFlight = (async () => {
		try {
			const result = await application.client.acquireTokenByClientCredential({
				scopes: [application.scope],
				skipCache: Boolean(refused) && (!latest || latest.accessToken === refused),
			});
			if (!result?.accessToken)
				throw new CredentialError('The identity platform returned no access token');
			application.latest = {
				accessToken: result.accessToken,
				expiresOn: result.expiresOn?.getTime() ?? Date.now() + 5 * 60 * 1000,
			};
			return result.accessToken;
		} catch (error) {
			throw explain(error);
		} finally {
			application.inFlight = undefined;
		}
	})();
	return await application.inFlight;
}
