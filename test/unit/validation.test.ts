import { DateTime } from 'luxon';

import {
	complianceStatus,
	graphKey,
	InputError,
	int32,
	isoDateTime,
	policyGuid,
	showValue,
	userStatusFields,
} from '../../nodes/MicrosoftIntune/validation';

function reasonOf(check: () => unknown): string {
	try {
		check();
	} catch (error) {
		expect(error).toBeInstanceOf(InputError);
		return (error as InputError).message;
	}
	throw new Error('expected an InputError');
}

describe('graphKey', () => {
	it.each(['abc', '3f2504e0-4f89-41d3-9a0c-0305e82c3301', 'a_b-c.d:e@f', '  padded  '])(
		'takes %j',
		(id) => {
			expect(graphKey('userStatusId', id)).toBe(id.trim());
		},
	);

	it.each([
		['', 'empty'],
		['   ', 'empty'],
		['../secrets', 'only letters'],
		['a/b', 'only letters'],
		['a?b=1', 'only letters'],
		['a#b', 'only letters'],
		['a%2Fb', 'only letters'],
		['a b', 'only letters'],
		['a..b', 'only letters'],
		['x'.repeat(257), 'at most 256'],
	])('refuses %j', (id, reason) => {
		expect(reasonOf(() => graphKey('userStatusId', id))).toContain(reason);
	});

	it('refuses non-text values and names the parameter', () => {
		let error: InputError | undefined;
		try {
			graphKey('userStatusId', { id: 1 });
		} catch (thrown) {
			error = thrown as InputError;
		}
		expect(error?.parameter).toBe('userStatusId');
		expect(error?.value).toEqual({ id: 1 });
		expect(error?.message).toBe('an id must be text');
	});

	it('takes whole numbers as text', () => {
		expect(graphKey('userStatusId', 42)).toBe('42');
	});
});

describe('policyGuid', () => {
	it('takes a GUID in any case', () => {
		expect(policyGuid('policyId', '3F2504E0-4F89-41D3-9A0C-0305E82C3301')).toBe(
			'3F2504E0-4F89-41D3-9A0C-0305E82C3301',
		);
	});
	it('refuses a key that is not a GUID', () => {
		expect(reasonOf(() => policyGuid('policyId', 'not-a-guid'))).toContain('GUID');
	});
});

describe('complianceStatus', () => {
	it('takes each of the eight values', () => {
		for (const status of [
			'unknown',
			'notApplicable',
			'compliant',
			'remediated',
			'nonCompliant',
			'error',
			'conflict',
			'notAssigned',
		]) {
			expect(complianceStatus('status', status)).toBe(status);
		}
	});
	it.each(['Compliant', 'noncompliant', '', 'ok', 3, null])('refuses %j', (value) => {
		expect(reasonOf(() => complianceStatus('status', value))).toContain(
			'one of unknown, notApplicable',
		);
	});
});

describe('isoDateTime', () => {
	it.each([
		['2026-01-31T13:45:00Z', '2026-01-31T13:45:00Z'],
		['2017-01-01T00:00:17.7769392-08:00', '2017-01-01T00:00:17.7769392-08:00'],
		['2026-01-31T13:45', '2026-01-31T13:45Z'],
		['2024-02-29T00:00:00+01:00', '2024-02-29T00:00:00+01:00'],
	])('takes %s', (value, expected) => {
		expect(isoDateTime('lastReportedDateTime', value)).toBe(expected);
	});

	it.each([
		'2026-13-01T00:00:00Z',
		'2025-02-29T00:00:00Z',
		'2026-01-31',
		'yesterday',
		'2026-01-31T25:00:00Z',
		'2026-01-31T13:45:00.12345678Z',
		'',
	])('refuses %j', (value) => {
		expect(() => isoDateTime('lastReportedDateTime', value)).toThrow(InputError);
	});

	it('takes Dates and Luxon DateTimes, as n8n expressions give them', () => {
		expect(isoDateTime('d', new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe(
			'2026-01-02T03:04:05.000Z',
		);
		const luxon = DateTime.fromISO('2026-01-02T03:04:05.000+02:00', { setZone: true });
		expect(isoDateTime('d', luxon)).toBe('2026-01-02T03:04:05.000+02:00');
		expect(() => isoDateTime('d', new Date('nonsense'))).toThrow(InputError);
		expect(() => isoDateTime('d', DateTime.invalid('bad'))).toThrow(InputError);
	});
});

describe('int32 and userStatusFields', () => {
	it('checks devicesCount', () => {
		expect(int32('devicesCount', 3)).toBe(3);
		expect(int32('devicesCount', '7')).toBe(7);
		for (const bad of [-1, 1.5, 2147483648, 'many', '', null]) {
			expect(() => int32('devicesCount', bad)).toThrow(InputError);
		}
	});

	it('builds the body and refuses unknown fields', () => {
		expect(userStatusFields('updateFields', { userDisplayName: 'Adele', devicesCount: 2 })).toEqual(
			{
				userDisplayName: 'Adele',
				devicesCount: 2,
			},
		);
		expect(reasonOf(() => userStatusFields('updateFields', { isAdmin: true }))).toContain(
			'not a property',
		);
	});
});

describe('showValue', () => {
	it('quotes, escapes and shortens', () => {
		expect(showValue('a"b\n')).toBe('"a\\"b\\n"');
		expect(showValue(5)).toBe('5 (number)');
		expect(showValue(undefined)).toBe('nothing');
		const long = showValue('x'.repeat(500));
		expect(long.length).toBeLessThan(120);
		expect(long).toContain('502 characters');
	});
});
