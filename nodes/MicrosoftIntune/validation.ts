import type { IExecuteFunctions, IDataObject } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

/**
 * Every check of what a user typed lives here, so that each operation validates the same way and every
 * message names the parameter, the value and the item. Nothing here sends a request.
 */

export const COMPLIANCE_STATUSES = [
	'unknown',
	'notApplicable',
	'compliant',
	'remediated',
	'nonCompliant',
	'error',
	'conflict',
	'notAssigned',
] as const;

export type ComplianceStatus = (typeof COMPLIANCE_STATUSES)[number];

const MAX_ID_LENGTH = 256;
const MAX_SHOWN_VALUE_LENGTH = 80;

/** Graph keys of this resource are GUIDs or GUID-like tokens joined by '_' (e.g. `<policyId>_<userId>`). */
const GRAPH_KEY = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * ISO 8601 date-time as Graph's DateTimeOffset takes it: date, time, up to 7 fraction digits, and an
 * offset. A missing offset is read as UTC (n8n's date picker gives none).
 */
const ISO_DATE_TIME =
	/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?$/;

export class InputError extends Error {
	constructor(
		readonly parameter: string,
		readonly value: unknown,
		readonly reason: string,
	) {
		super(`${reason}`);
	}
}

/** Shows a value in an error message: quoted, control characters escaped, long values cut. */
export function showValue(value: unknown): string {
	if (value === undefined) return 'nothing';
	if (value === null) return 'null';
	let text: string;
	if (typeof value === 'string') text = JSON.stringify(value);
	else if (typeof value === 'object') text = safeJson(value);
	else text = `${String(value)} (${typeof value})`;
	return text.length > MAX_SHOWN_VALUE_LENGTH
		? `${text.slice(0, MAX_SHOWN_VALUE_LENGTH)}… (${text.length} characters)`
		: text;
}

function safeJson(value: object): string {
	try {
		return JSON.stringify(value) ?? String(value);
	} catch {
		return String(value);
	}
}

/** Turns an InputError into the NodeOperationError n8n shows, naming parameter, value and item. */
export function toNodeOperationError(
	ctx: IExecuteFunctions,
	error: InputError,
	itemIndex: number,
): NodeOperationError {
	return new NodeOperationError(
		ctx.getNode(),
		`Invalid ${error.parameter} ${showValue(error.value)} in item ${itemIndex}: ${error.reason}`,
		{
			itemIndex,
			description: `Parameter "${error.parameter}" of item ${itemIndex} was not sent to Microsoft Graph. Nothing was changed for this item.`,
		},
	);
}

/** A key of a Graph entity (user status id): non-empty, short, and nothing that could leave its path segment. */
export function graphKey(parameter: string, value: unknown): string {
	if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
	if (typeof value !== 'string') throw new InputError(parameter, value, 'an id must be text');
	const id = value.trim();
	if (id === '') throw new InputError(parameter, value, 'the id is empty');
	if (id.length > MAX_ID_LENGTH) {
		throw new InputError(parameter, value, `an id is at most ${MAX_ID_LENGTH} characters long`);
	}
	if (!GRAPH_KEY.test(id) || id.includes('..')) {
		throw new InputError(
			parameter,
			value,
			'an id holds only letters, digits and - _ . : @ (no spaces, slashes, "?", "#" or "%")',
		);
	}
	return id;
}

/** A compliance policy id: Intune policy ids are GUIDs. */
export function policyGuid(parameter: string, value: unknown): string {
	const id = graphKey(parameter, value);
	if (!GUID.test(id)) {
		throw new InputError(
			parameter,
			value,
			'a compliance policy id is a GUID such as 00000000-0000-0000-0000-000000000000',
		);
	}
	return id;
}

export function complianceStatus(parameter: string, value: unknown): ComplianceStatus {
	if (typeof value === 'string' && (COMPLIANCE_STATUSES as readonly string[]).includes(value)) {
		return value as ComplianceStatus;
	}
	throw new InputError(
		parameter,
		value,
		`the status must be one of ${COMPLIANCE_STATUSES.join(', ')}`,
	);
}

/**
 * Normalises a date-time to ISO 8601 with an offset. Takes strings, JavaScript Dates and the Luxon
 * DateTime objects that n8n expressions such as `{{ $now }}` produce.
 */
export function isoDateTime(parameter: string, value: unknown): string {
	const reason =
		'the date must be ISO 8601 with date and time, e.g. 2026-01-31T13:45:00Z or 2026-01-31T13:45:00.1234567+01:00';
	if (value instanceof Date) {
		if (Number.isNaN(value.getTime())) throw new InputError(parameter, value, reason);
		return value.toISOString();
	}
	if (isLuxonLike(value)) {
		if (!value.isValid) throw new InputError(parameter, String(value), reason);
		return value.toISO();
	}
	if (typeof value !== 'string') throw new InputError(parameter, value, reason);
	const text = value.trim();
	const match = ISO_DATE_TIME.exec(text);
	if (!match) throw new InputError(parameter, value, reason);
	const [, year, month, day, hour, minute, second = '00'] = match.map((part) => part ?? undefined);
	const calendar = new Date(Date.UTC(+year!, +month! - 1, +day!, +hour!, +minute!, +second));
	const isRealDate =
		calendar.getUTCFullYear() === +year! &&
		calendar.getUTCMonth() === +month! - 1 &&
		calendar.getUTCDate() === +day! &&
		calendar.getUTCHours() === +hour! &&
		calendar.getUTCMinutes() === +minute! &&
		calendar.getUTCSeconds() === +second;
	if (!isRealDate) throw new InputError(parameter, value, `${text} is not a real date and time`);
	return match[8] ? text : `${text}Z`;
}

function isLuxonLike(value: unknown): value is { isValid: boolean; toISO(): string } {
	return (
		typeof value === 'object' &&
		value !== null &&
		typeof (value as { toISO?: unknown }).toISO === 'function' &&
		'isValid' in value
	);
}

export function int32(parameter: string, value: unknown): number {
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (
		typeof number !== 'number' ||
		!Number.isInteger(number) ||
		number < 0 ||
		number > 2147483647
	) {
		throw new InputError(parameter, value, 'a whole number from 0 to 2147483647 is expected');
	}
	return number;
}

export function optionalText(parameter: string, value: unknown): string {
	if (typeof value !== 'string') throw new InputError(parameter, value, 'text is expected');
	return value;
}

/**
 * The optional user status fields (update fields and additional fields) with their checks, in the
 * shape Graph takes them. Unknown keys are refused rather than sent.
 */
export function userStatusFields(parameter: string, fields: IDataObject): IDataObject {
	const body: IDataObject = {};
	for (const [key, value] of Object.entries(fields)) {
		const name = `${parameter}.${key}`;
		if (key === 'userDisplayName' || key === 'userPrincipalName')
			body[key] = optionalText(name, value);
		else if (key === 'devicesCount') body[key] = int32(name, value);
		else throw new InputError(name, value, 'this field is not a property of a user status');
	}
	return body;
}
