/**
 * Credentials and parameters that point the package at an emulator, shared by the integration tests and
 * the benchmark (plain TypeScript, no jest: Node runs it directly too).
 */
import { randomUUID } from 'node:crypto';

import type { ICredentialDataDecryptedObject, INodeParameters } from 'n8n-workflow';

import type { Emulator, UserTokens } from '../emulator/index.ts';
import type { CredentialRecord } from '../harness/index.ts';

/** The custom cloud of an emulator: Graph over HTTP, the identity platform over HTTPS where it has it. */
export function emulatorCloud(emulator: Emulator): ICredentialDataDecryptedObject {
	return {
		cloud: 'custom',
		graphApiBaseUrl: emulator.httpUrl,
		loginBaseUrl: emulator.httpsUrl ?? emulator.httpUrl,
		tenantId: emulator.tenantId,
	};
}

/** A connected delegated credential holding the given user tokens. */
export function oauthCredential(
	emulator: Emulator,
	app: { clientId: string; clientSecret: string },
	tokens: UserTokens,
): CredentialRecord {
	return {
		id: `oauth-${randomUUID()}`,
		name: 'Intune OAuth2',
		type: 'microsoftIntuneOAuth2Api',
		data: { ...emulatorCloud(emulator), ...app, oauthTokenData: { ...tokens } },
	};
}

/** An app-only credential with a client secret, or with overrides (certificate, wrong secret...). */
export function servicePrincipalCredential(
	emulator: Emulator,
	app: { clientId: string; clientSecret: string },
	data: ICredentialDataDecryptedObject = {},
): CredentialRecord {
	return {
		id: `sp-${randomUUID()}`,
		name: 'Intune app-only',
		type: 'microsoftIntuneServicePrincipalApi',
		data: { ...emulatorCloud(emulator), ...app, clientCredentialType: 'clientSecret', ...data },
	};
}

/** A saved workflow's parameters for Compliance User Status → Update, reading ids and values from the items. */
export function updateParameters(overrides: INodeParameters = {}): INodeParameters {
	return {
		resource: 'complianceUserStatus',
		operation: 'update',
		policyId: { __rl: true, mode: 'id', value: '={{ $json.policyId }}' },
		userStatusId: { __rl: true, mode: 'id', value: '={{ $json.userStatusId }}' },
		status: '={{ $json.status }}',
		lastReportedDateTime: '={{ $json.reportedAt }}',
		...overrides,
	};
}
