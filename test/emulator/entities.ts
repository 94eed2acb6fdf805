// Entity types served by the emulator and validation of userStatus write bodies, with Graph's messages.
import { ODataError, type EntityType } from './odata.ts';
import type { Policy, UserStatus } from './types.ts';

export const POLICY_TYPE: EntityType = {
	name: 'microsoft.graph.deviceCompliancePolicy',
	properties: [
		'id',
		'displayName',
		'description',
		'createdDateTime',
		'lastModifiedDateTime',
		'version',
	],
};

export const USER_STATUS_TYPE: EntityType = {
	name: 'microsoft.graph.deviceComplianceUserStatus',
	properties: [
		'id',
		'userDisplayName',
		'devicesCount',
		'status',
		'lastReportedDateTime',
		'userPrincipalName',
	],
};

export const COMPLIANCE_STATUSES = [
	'unknown',
	'notApplicable',
	'compliant',
	'remediated',
	'nonCompliant',
	'error',
	'conflict',
	'notAssigned',
];

// Edm.DateTimeOffset: date, time, optional fraction up to 7 digits, and a mandatory offset (Z or ±hh:mm).
const DATE_TIME_OFFSET =
	/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:(\d{2})(\.\d{1,7})?)?(Z|[+-](\d{2}):(\d{2}))$/;

export function isDateTimeOffset(value: string): boolean {
	const m = DATE_TIME_OFFSET.exec(value);
	if (!m) return false;
	const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[7] ?? '0'].map(Number);
	const daysInMonth = new Date(Date.UTC(Number(m[1]), month, 0)).getUTCDate();
	const offsetOk = m[9] === 'Z' || (Number(m[10]) <= 14 && Number(m[11]) < 60);
	return (
		month >= 1 &&
		month <= 12 &&
		day >= 1 &&
		day <= daysInMonth &&
		hour < 24 &&
		minute < 60 &&
		second < 60 &&
		offsetOk
	);
}

/** Properties in Graph's order (what a GET returns). */
export function userStatusView(s: UserStatus): UserStatus {
	return {
		id: s.id,
		userDisplayName: s.userDisplayName,
		devicesCount: s.devicesCount,
		status: s.status,
		lastReportedDateTime: s.lastReportedDateTime,
		userPrincipalName: s.userPrincipalName,
	};
}

export function policyView(p: Policy): Policy {
	return { ...p };
}

const NON_NULLABLE: Record<string, string> = {
	devicesCount: 'Edm.Int32',
	status: 'microsoft.graph.complianceStatus',
	lastReportedDateTime: 'Edm.DateTimeOffset',
};

/**
 * Validates a POST (create) or PATCH (update) body for a userStatus and returns the properties to
 * write. Throws ODataError with a Graph-like message on the first problem.
 */
export function validateUserStatusBody(
	body: unknown,
	mode: 'create' | 'update',
	existingId?: string,
): Partial<UserStatus> {
	if (body === undefined) throw new ODataError('Empty Payload. JSON content expected.');
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		throw new ODataError(
			`The request body must be a JSON object of type '${USER_STATUS_TYPE.name}'.`,
		);
	}
	const out: Partial<UserStatus> = {};
	for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
		if (key === '@odata.type') {
			if (
				typeof value !== 'string' ||
				value.replace(/^#/, '').toLowerCase() !== USER_STATUS_TYPE.name.toLowerCase()
			) {
				throw new ODataError(
					`A type named '${String(value)}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type.`,
				);
			}
			continue;
		}
		if (key.startsWith('@')) continue; // other instance annotations are ignored, as OData does
		if (!USER_STATUS_TYPE.properties.includes(key)) {
			throw new ODataError(
				`The property '${key}' does not exist on type '${USER_STATUS_TYPE.name}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
			);
		}
		if (value === null && NON_NULLABLE[key]) {
			const t = `${NON_NULLABLE[key]}[Nullable=False]`;
			throw new ODataError(
				`A null value was found for the property named '${key}', which has the expected type '${t}'. The expected type '${t}' does not allow null values.`,
			);
		}
		const literal = typeof value === 'string' ? value : JSON.stringify(value);
		const cannotConvert = (type: string) =>
			new ODataError(`Cannot convert the literal '${literal}' to the expected type '${type}'.`);
		switch (key) {
			case 'id':
				// The key is assigned by the service on create and cannot change on update.
				if (typeof value !== 'string') throw cannotConvert('Edm.String');
				if (mode === 'update' && value.toLowerCase() !== existingId?.toLowerCase()) {
					throw new ODataError(
						`The key property 'id' cannot be changed (was '${existingId}', got '${value}').`,
					);
				}
				break;
			case 'userDisplayName':
			case 'userPrincipalName':
				if (value !== null && typeof value !== 'string') throw cannotConvert('Edm.String');
				out[key] = value as string | null;
				break;
			case 'devicesCount':
				if (
					typeof value !== 'number' ||
					!Number.isInteger(value) ||
					value < -2147483648 ||
					value > 2147483647
				)
					throw cannotConvert('Edm.Int32');
				out.devicesCount = value;
				break;
			case 'status':
				if (typeof value !== 'string' || !COMPLIANCE_STATUSES.includes(value)) {
					throw new ODataError(
						`Cannot convert the literal '${literal}' to the expected type 'microsoft.graph.complianceStatus'. Valid values: ${COMPLIANCE_STATUSES.join(', ')}.`,
					);
				}
				out.status = value;
				break;
			case 'lastReportedDateTime':
				if (typeof value !== 'string' || !isDateTimeOffset(value)) {
					throw new ODataError(
						`Cannot convert the literal '${literal}' to the expected type 'Edm.DateTimeOffset' (ISO 8601 with an offset, e.g. 2024-05-01T10:00:00Z).`,
					);
				}
				out.lastReportedDateTime = value;
				break;
		}
	}
	return out;
}

/** A new userStatus with Graph's defaults for the non-nullable properties a create left out. */
export function newUserStatus(id: string, props: Partial<UserStatus>): UserStatus {
	return userStatusView({
		id,
		userDisplayName: null,
		userPrincipalName: null,
		devicesCount: 0,
		status: 'unknown',
		lastReportedDateTime: '0001-01-01T00:00:00Z',
		...props,
	});
}
