/**
 * What the integration tests share: one emulator (HTTP for Graph, HTTPS for the identity platform, with
 * a CA made at start), the harness that runs the package through n8n's WorkflowExecute, and credentials
 * that point at the emulator. Secrets are made per run.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as tls from 'node:tls';

import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import type { Emulator } from '../emulator/index.ts';
import { startEmulator } from '../emulator/index.ts';
import type { CredentialRecord, RunNodeOptions, RunNodeResult } from '../harness/index.ts';
import { IntuneHarness } from '../harness/index.ts';
import { oauthCredential, servicePrincipalCredential } from '../support/credentials.ts';

export { updateParameters } from '../support/credentials.ts';

export interface World {
	emulator: Emulator;
	harness: IntuneHarness;
	clientId: string;
	clientSecret: string;
	/** A connected delegated credential (fresh user tokens each call). */
	oauthCredential(): CredentialRecord;
	/** An app-only credential with the client secret, or with overrides (certificate, wrong secret...). */
	servicePrincipalCredential(data?: ICredentialDataDecryptedObject): CredentialRecord;
	/** The first seeded policy and its user statuses, as the emulator holds them now. */
	policy(index?: number): { id: string; statuses: IDataObject[] };
	run(
		options: Omit<RunNodeOptions, 'credential'> & { credential?: CredentialRecord },
	): Promise<RunNodeResult>;
	/** Every string a run must never show: the secret, every token issued so far, and tokens stored in the given credentials. */
	secrets(...credentials: CredentialRecord[]): string[];
	close(): Promise<void>;
}

export async function startWorld(options: { statusesPerPolicy?: number } = {}): Promise<World> {
	const emulator = await startEmulator({
		https: true,
		seed: { policies: 3, statusesPerPolicy: options.statusesPerPolicy ?? 25 },
	});
	// MSAL talks to the identity platform over HTTPS only: trust the CA made for this run, as
	// NODE_EXTRA_CA_CERTS does for a real n8n.
	tls.setDefaultCACertificates([...tls.getCACertificates('default'), emulator.caCertPem!]);
	const clientId = randomUUID();
	const clientSecret = `secret-${randomBytes(12).toString('hex')}`;
	emulator.registerApp({ clientId, clientSecret });
	const harness = new IntuneHarness();
	const issued: string[] = [];

	const world: World = {
		emulator,
		harness,
		clientId,
		clientSecret,
		oauthCredential() {
			const tokens = emulator.issueUserTokens(clientId);
			issued.push(tokens.access_token, tokens.refresh_token);
			return oauthCredential(emulator, { clientId, clientSecret }, tokens);
		},
		servicePrincipalCredential(data = {}) {
			return servicePrincipalCredential(emulator, { clientId, clientSecret }, data);
		},
		policy(index = 0) {
			const policy = emulator.data.policies[index];
			return { id: policy.id, statuses: emulator.data.userStatuses.get(policy.id)! as never };
		},
		async run(runOptions) {
			return await harness.runNode({ credential: world.oauthCredential(), ...runOptions });
		},
		secrets(...credentials) {
			const stored = credentials.flatMap((credential) => {
				const data = harness.credentialData(credential.id) as Record<string, any>;
				return [
					data.accessToken,
					data.oauthTokenData?.access_token,
					data.oauthTokenData?.refresh_token,
					data.privateKey,
				];
			});
			return [clientSecret, ...issued, ...stored].filter(
				(value): value is string => typeof value === 'string',
			);
		},
		async close() {
			await emulator.close();
			await IntuneHarness.close();
		},
	};
	return world;
}

/** Input items that update the first `count` user statuses of a policy. */
export function updateItems(
	policy: { id: string; statuses: IDataObject[] },
	count: number,
	status = 'remediated',
): IDataObject[] {
	return policy.statuses.slice(0, count).map((row, index) => ({
		policyId: policy.id,
		userStatusId: row.id,
		status,
		reportedAt: `2026-11-${String(1 + (index % 28)).padStart(2, '0')}T10:00:00Z`,
	}));
}

/** Asserts that none of the given secrets appears anywhere in a value (outputs, errors, stored run data). */
export function expectNoSecrets(value: unknown, secrets: string[]) {
	const text = JSON.stringify(value, (_key, inner) =>
		inner instanceof Error ? { ...inner, message: inner.message, stack: inner.stack } : inner,
	);
	for (const secret of secrets.filter((s) => s.length >= 8)) {
		expect(text.includes(secret) ? `leaked ${secret.slice(0, 4)}…` : 'clean').toBe('clean');
	}
}
