// Deterministic seed data: the same options always give the same ids, names and values.
import { createHash } from 'node:crypto';
import type { EmulatorData, Policy, UserStatus } from './types.ts';

export const DEFAULT_SEED = { policies: 3, statusesPerPolicy: 25 };

/** A GUID-shaped id (version 4 / RFC 4122 variant bits) derived from a label. */
export function deterministicGuid(label: string): string {
	const h = createHash('sha256').update(label).digest('hex');
	const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const POLICY_NAMES = [
	'Windows 10 Security Baseline',
	'BitLocker Encryption Required',
	'Defender Antivirus Minimum',
	'Firewall Enabled',
	'OS Version Minimum',
];

const FIRST_NAMES = [
	'Adele',
	'Alex',
	'Diego',
	'Grady',
	'Isaiah',
	'Johanna',
	'Lee',
	'Megan',
	'Nestor',
	'Patti',
];
const LAST_NAMES = [
	'Vance',
	'Wilber',
	'Siciliani',
	'Archie',
	'Langer',
	'Lorenz',
	'Gu',
	'Bowen',
	'Wilke',
	'Fernandez',
];

// Mostly compliant, with every other value represented so filters have something to find.
const STATUS_CYCLE = [
	'compliant',
	'nonCompliant',
	'compliant',
	'unknown',
	'nonCompliant',
	'error',
	'compliant',
	'notApplicable',
	'remediated',
	'conflict',
];

const BASE_TIME = Date.UTC(2024, 0, 15, 8, 0, 0);
const DAY = 86_400_000;

/** Graph DateTimeOffset text with 7 fraction digits, e.g. 2024-01-15T08:00:00.0000000Z */
function graphDate(ms: number): string {
	return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

export function makePolicy(i: number): Policy {
	const cycle = Math.floor(i / POLICY_NAMES.length);
	const displayName = POLICY_NAMES[i % POLICY_NAMES.length] + (cycle > 0 ? ` ${cycle + 1}` : '');
	return {
		'@odata.type': '#microsoft.graph.windows10CompliancePolicy',
		id: deterministicGuid(`policy:${i}`),
		displayName,
		description: `Seeded compliance policy ${i + 1}: ${displayName}`,
		createdDateTime: graphDate(BASE_TIME + i * DAY),
		lastModifiedDateTime: graphDate(BASE_TIME + i * DAY + 3_600_000),
		version: 1 + (i % 3),
	};
}

export function makeUserStatus(policyIndex: number, k: number): UserStatus {
	const first = FIRST_NAMES[k % FIRST_NAMES.length];
	const last = LAST_NAMES[Math.floor(k / FIRST_NAMES.length) % LAST_NAMES.length];
	const n = Math.floor(k / (FIRST_NAMES.length * LAST_NAMES.length));
	const suffix = n > 0 ? String(n + 1) : '';
	return {
		id: deterministicGuid(`status:${policyIndex}:${k}`),
		userDisplayName: `${first} ${last}${suffix ? ' ' + suffix : ''}`,
		devicesCount: 1 + ((k + policyIndex) % 3),
		status: STATUS_CYCLE[(k + policyIndex) % STATUS_CYCLE.length],
		lastReportedDateTime: graphDate(BASE_TIME + 45 * DAY + k * 3_600_000 + policyIndex * 60_000),
		userPrincipalName: `${first}.${last}${suffix}@contoso.onmicrosoft.com`.toLowerCase(),
	};
}

/** Replaces the contents of `data` in place (callers keep references to its array and map). */
export function seedData(
	data: EmulatorData,
	seed: { policies?: number; statusesPerPolicy?: number } = {},
): void {
	const policies = seed.policies ?? DEFAULT_SEED.policies;
	const statuses = seed.statusesPerPolicy ?? DEFAULT_SEED.statusesPerPolicy;
	data.policies.length = 0;
	data.userStatuses.clear();
	for (let i = 0; i < policies; i++) {
		const policy = makePolicy(i);
		data.policies.push(policy);
		data.userStatuses.set(
			policy.id,
			Array.from({ length: statuses }, (_, k) => makeUserStatus(i, k)),
		);
	}
}
