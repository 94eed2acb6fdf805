// Verification of a certificate client assertion (RFC 7523 JWT), as Entra does for private_key_jwt.
import {
	X509Certificate,
	constants,
	createHash,
	randomUUID,
	sign,
	verify,
	type KeyObject,
} from 'node:crypto';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Allowed clock skew for nbf/iat in the future (Entra allows five minutes). exp gets no grace. */
export const CLOCK_SKEW_SECONDS = 300;

export interface AssertionCheck {
	assertion: string;
	clientId: string;
	cert: { x5tS256: string; x5t: string; publicKey: KeyObject };
	/** Accepted `aud` values: the token endpoint URLs of every listener origin, lower case. */
	audiences: Set<string>;
	nowSeconds?: number;
}

function decodeJson(part: string): Record<string, unknown> | undefined {
	try {
		const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
		return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
	} catch {
		return undefined;
	}
}

/** Returns undefined when the assertion is valid, else the reason (used as the AADSTS700027 description). */
export function verifyClientAssertion(c: AssertionCheck): string | undefined {
	const parts = c.assertion.split('.');
	const header = parts.length === 3 ? decodeJson(parts[0]) : undefined;
	const payload = parts.length === 3 ? decodeJson(parts[1]) : undefined;
	if (!header || !payload)
		return 'Client assertion is not a well-formed JWT (expected header.payload.signature in base64url).';

	const alg = header.alg;
	if (alg !== 'PS256' && alg !== 'RS256')
		return `Client assertion uses an unsupported signing algorithm '${String(alg)}'; expected PS256 or RS256.`;

	// x5t#S256 (SHA-256, current) wins over the legacy SHA-1 x5t when both are present.
	const [thumbHeader, expected] =
		header['x5t#S256'] !== undefined
			? ['x5t#S256', c.cert.x5tS256]
			: header.x5t !== undefined
				? ['x5t', c.cert.x5t]
				: [undefined, undefined];
	if (!thumbHeader)
		return 'Client assertion header contains no certificate thumbprint (x5t#S256 or x5t).';
	const sent = String(header[thumbHeader]).replace(/=+$/, '');
	if (sent !== expected) {
		return `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${sent}' (${thumbHeader}), Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${c.clientId}'.]`;
	}

	const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
	const signature = Buffer.from(parts[2], 'base64url');
	const key =
		alg === 'PS256'
			? {
					key: c.cert.publicKey,
					padding: constants.RSA_PKCS1_PSS_PADDING,
					saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
				}
			: { key: c.cert.publicKey, padding: constants.RSA_PKCS1_PADDING };
	let valid = false;
	try {
		valid = verify('sha256', signed, key, signature);
	} catch {
		valid = false;
	}
	if (!valid) return `Client assertion failed signature validation (${alg}).`;

	const audiences = (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).map((a) =>
		String(a).toLowerCase(),
	);
	if (!audiences.some((a) => c.audiences.has(a))) {
		return `The audience claim of the client assertion ('${String(payload.aud)}') does not match the token endpoint. Expected e.g. '${[...c.audiences][0]}'.`;
	}
	if (typeof payload.iss !== 'string' || payload.iss.toLowerCase() !== c.clientId.toLowerCase()) {
		return `The issuer claim of the client assertion ('${String(payload.iss)}') must be the client id '${c.clientId}'.`;
	}
	if (typeof payload.sub !== 'string' || payload.sub.toLowerCase() !== c.clientId.toLowerCase()) {
		return `The subject claim of the client assertion ('${String(payload.sub)}') must be the client id '${c.clientId}'.`;
	}
	const now = c.nowSeconds ?? Math.floor(Date.now() / 1000);
	if (typeof payload.exp !== 'number')
		return 'Client assertion contains no expiration (exp) claim.';
	if (payload.exp <= now)
		return `Client assertion is not within its valid time range: it expired at ${new Date(payload.exp * 1000).toISOString()}.`;
	for (const claim of ['nbf', 'iat'] as const) {
		const value = payload[claim];
		if (value === undefined) continue;
		if (typeof value !== 'number') return `Client assertion claim ${claim} must be a number.`;
		if (value > now + CLOCK_SKEW_SECONDS)
			return `Client assertion is not within its valid time range: ${claim} ${new Date(value * 1000).toISOString()} is in the future.`;
	}
	if (typeof payload.jti !== 'string' || !payload.jti)
		return 'Client assertion contains no jti claim.';
	return undefined;
}

export interface SignAssertionOptions {
	clientId: string;
	/** The token endpoint URL, e.g. https://localhost:1234/<tenant>/oauth2/v2.0/token */
	audience: string;
	certificatePem: string;
	/** Unencrypted PEM (PKCS#8 or PKCS#1), or pass `passphrase`. */
	privateKeyPem: string;
	passphrase?: string;
	/** PS256 with x5t#S256 (MSAL's current form, default) or RS256 with SHA-1 x5t (legacy). */
	alg?: 'PS256' | 'RS256';
	/** Overrides of header fields and claims, to build broken assertions in tests. */
	header?: Record<string, unknown>;
	claims?: Record<string, unknown>;
}

/** Signs a client assertion the way MSAL does; tests use it to exercise the token endpoint directly. */
export function signClientAssertion(o: SignAssertionOptions): string {
	const alg = o.alg ?? 'PS256';
	const der = new X509Certificate(o.certificatePem).raw;
	const thumb =
		alg === 'PS256'
			? { 'x5t#S256': createHash('sha256').update(der).digest('base64url') }
			: { x5t: createHash('sha1').update(der).digest('base64url') };
	const now = Math.floor(Date.now() / 1000);
	const header = { alg, typ: 'JWT', ...thumb, ...o.header };
	const claims = {
		aud: o.audience,
		iss: o.clientId,
		sub: o.clientId,
		exp: now + 600,
		nbf: now,
		iat: now,
		jti: randomUUID(),
		...o.claims,
	};
	const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
	const input = `${encode(header)}.${encode(claims)}`;
	const key = { key: o.privateKeyPem, passphrase: o.passphrase };
	const signature =
		alg === 'PS256'
			? sign('sha256', Buffer.from(input), {
					...key,
					padding: constants.RSA_PKCS1_PSS_PADDING,
					saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
				})
			: sign('sha256', Buffer.from(input), key);
	return `${input}.${signature.toString('base64url')}`;
}
