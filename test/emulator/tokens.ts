// Opaque tokens issued by the emulated identity platform and checked by the emulated Graph.
import { randomBytes } from 'node:crypto';

export type TokenKind = 'app' | 'user';

export interface AccessTokenInfo {
	clientId: string;
	kind: TokenKind;
	expiresAt: number;
}

export type TokenCheck =
	| { ok: true; info: AccessTokenInfo }
	| { ok: false; reason: 'missing' | 'invalid' | 'expired'; info?: AccessTokenInfo };

export interface AuthCode {
	clientId: string;
	redirectUri?: string;
	scope: string;
	codeChallenge?: string;
	codeChallengeMethod?: string;
	expiresAt: number;
	redeemed: boolean;
}

const AUTH_CODE_LIFETIME_MS = 10 * 60_000;

function opaque(prefix: string): string {
	// A prefix keeps kinds apart when reading logs; the random part is what makes it unguessable.
	return `${prefix}.${randomBytes(32).toString('base64url')}`;
}

export class TokenStore {
	private access = new Map<string, AccessTokenInfo>();
	/** Refresh tokens stay valid after use (Entra does not revoke them on redemption either). */
	private refresh = new Map<string, { clientId: string; scope: string }>();
	private codes = new Map<string, AuthCode>();

	issueAccessToken(clientId: string, kind: TokenKind, lifetimeSeconds: number): string {
		const token = opaque(kind === 'app' ? 'emu-app' : 'emu-user');
		this.access.set(token, { clientId, kind, expiresAt: Date.now() + lifetimeSeconds * 1000 });
		return token;
	}

	issueRefreshToken(clientId: string, scope: string): string {
		const token = opaque('emu-refresh');
		this.refresh.set(token, { clientId, scope });
		return token;
	}

	refreshTokenInfo(token: string): { clientId: string; scope: string } | undefined {
		return this.refresh.get(token);
	}

	/** Checks an Authorization header value. */
	check(authorization: string | undefined): TokenCheck {
		const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
		if (!match) return { ok: false, reason: 'missing' };
		const info = this.access.get(match[1]);
		if (!info) return { ok: false, reason: 'invalid' };
		if (info.expiresAt <= Date.now()) return { ok: false, reason: 'expired', info };
		return { ok: true, info };
	}

	expireAll(): void {
		const past = Date.now() - 1;
		for (const info of this.access.values()) info.expiresAt = Math.min(info.expiresAt, past);
	}

	issueAuthCode(code: Omit<AuthCode, 'expiresAt' | 'redeemed'>): string {
		const value = opaque('emu-code');
		this.codes.set(value, {
			...code,
			expiresAt: Date.now() + AUTH_CODE_LIFETIME_MS,
			redeemed: false,
		});
		return value;
	}

	authCode(code: string): AuthCode | undefined {
		return this.codes.get(code);
	}
}
