import type { IDisplayOptions, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { ApiVersion } from '../graph/request';
import { complianceStatus, graphKey, InputError, isoDateTime, policyGuid } from '../validation';

/** The `displayOptions.show` of a parameter: which resource and operations show it. */
export type DisplayShow = NonNullable<IDisplayOptions['show']>;

/**
 * Parameters that several operations share, each beside the function that reads and checks it, so a
 * parameter's name, its validation and its use are found together.
 */

const GUID_PATTERN = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
/** Graph URLs name the policy after `deviceCompliancePolicies/`, Intune admin center URLs after `policyId/` or `policyId=`. */
const POLICY_URL_PATTERN = `(?:deviceCompliancePolicies(?:/|%2F|\\(')|policyId(?:/|=|%2F|%3D))(${GUID_PATTERN})`;

export const policyIdProperty = (show: DisplayShow): INodeProperties => ({
	displayName: 'Compliance Policy',
	name: 'policyId',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	description: 'The device compliance policy',
	displayOptions: { show },
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a policy...',
			typeOptions: { searchListMethod: 'searchPolicies', searchable: true },
		},
		{
			displayName: 'By ID',
			name: 'id',
			type: 'string',
			placeholder: 'e.g. 3f2504e0-4f89-41d3-9a0c-0305e82c3301',
			validation: [
				{
					type: 'regex',
					properties: {
						regex: `^\\s*${GUID_PATTERN}\\s*$`,
						errorMessage: 'A policy ID is a GUID',
					},
				},
			],
		},
		{
			displayName: 'By URL',
			name: 'url',
			type: 'string',
			placeholder:
				'e.g. https://graph.microsoft.com/beta/deviceManagement/deviceCompliancePolicies/3f2504e0-…',
			validation: [
				{
					type: 'regex',
					properties: {
						regex: `.*${POLICY_URL_PATTERN}.*`,
						errorMessage:
							'Not a Graph or Intune admin center URL that holds a compliance policy ID',
					},
				},
			],
			extractValue: { type: 'regex', regex: POLICY_URL_PATTERN },
		},
	],
});

export const userStatusIdProperty = (show: DisplayShow): INodeProperties => ({
	displayName: 'User Status',
	name: 'userStatusId',
	type: 'resourceLocator',
	default: { mode: 'list', value: '' },
	required: true,
	description: "The user's compliance row under the policy",
	displayOptions: { show },
	// The rows belong to the policy: n8n clears the pick and reloads the list when the policy changes.
	typeOptions: { loadOptionsDependsOn: ['policyId.value'] },
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a user status...',
			typeOptions: { searchListMethod: 'searchUserStatuses', searchable: true },
		},
		{
			displayName: 'By ID',
			name: 'id',
			type: 'string',
			placeholder: 'e.g. 3f2504e0-4f89-41d3-9a0c-0305e82c3301',
		},
	],
});

export const statusProperty = (show: DisplayShow): INodeProperties => ({
	displayName: 'Status',
	name: 'status',
	type: 'options',
	required: true,
	default: 'compliant',
	description: 'The compliance status to record for the user',
	displayOptions: { show },
	options: [
		{ name: 'Compliant', value: 'compliant' },
		{ name: 'Conflict', value: 'conflict' },
		{ name: 'Error', value: 'error' },
		{ name: 'Non-Compliant', value: 'nonCompliant' },
		{ name: 'Not Applicable', value: 'notApplicable' },
		{ name: 'Not Assigned', value: 'notAssigned' },
		{ name: 'Remediated', value: 'remediated' },
		{ name: 'Unknown', value: 'unknown' },
	],
});

export const lastReportedDateTimeProperty = (show: DisplayShow): INodeProperties => ({
	displayName: 'Last Reported Date Time',
	name: 'lastReportedDateTime',
	type: 'dateTime',
	required: true,
	default: '={{ $now.toISO() }}',
	description: 'When the status was reported, ISO 8601 (a time without offset is taken as UTC)',
	displayOptions: { show },
});

/** The `options` collection of an operation; every operation's starts with the API version. */
export const optionsCollection = (
	show: DisplayShow,
	options: INodeProperties[],
): INodeProperties => ({
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add option',
	default: {},
	displayOptions: { show },
	options: [apiVersionOption, ...options],
});

/** Options every operation has. */
export const apiVersionOption: INodeProperties = {
	displayName: 'API Version',
	name: 'apiVersion',
	type: 'options',
	default: 'beta',
	description: 'Graph version. Intune documents user statuses under beta; v1.0 has the same shape.',
	options: [
		{ name: 'Beta', value: 'beta' },
		{ name: 'v1.0', value: 'v1.0' },
	],
};

/** A resource locator's value; a URL the mode's pattern does not match becomes an InputError. */
function readLocator(fn: IExecuteFunctions, name: string, itemIndex: number): unknown {
	let reason: string;
	try {
		return fn.getNodeParameter(name, itemIndex, undefined, {
			extractValue: true,
		});
	} catch (error) {
		reason = (error as Error).message;
	}
	const raw = fn.getNodeParameter(name, itemIndex, undefined) as { value?: unknown } | undefined;
	throw new InputError(name, raw && typeof raw === 'object' ? raw.value : raw, reason);
}

export const readPolicyId = (fn: IExecuteFunctions, itemIndex: number) =>
	policyGuid('policyId', readLocator(fn, 'policyId', itemIndex));

export const readUserStatusId = (fn: IExecuteFunctions, itemIndex: number) =>
	graphKey('userStatusId', readLocator(fn, 'userStatusId', itemIndex));

export const readStatus = (fn: IExecuteFunctions, itemIndex: number) =>
	complianceStatus('status', fn.getNodeParameter('status', itemIndex));

export const readLastReportedDateTime = (fn: IExecuteFunctions, itemIndex: number) =>
	isoDateTime('lastReportedDateTime', fn.getNodeParameter('lastReportedDateTime', itemIndex));

export function readApiVersion(fn: IExecuteFunctions, itemIndex: number): ApiVersion {
	const version = fn.getNodeParameter('options.apiVersion', itemIndex, 'beta');
	if (version !== 'beta' && version !== 'v1.0') {
		throw new InputError('options.apiVersion', version, 'the API version is beta or v1.0');
	}
	return version;
}
