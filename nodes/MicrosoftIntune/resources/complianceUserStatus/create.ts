import type { IDataObject } from 'n8n-workflow';

import {
	lastReportedDateTimeProperty,
	policyIdProperty,
	readLastReportedDateTime,
	readPolicyId,
	readStatus,
	statusProperty,
} from '../../shared/parameters';
import { itemOperationOptions } from '../../shared/options';
import { userStatusFields } from '../../validation';
import type { ItemOperation } from '../operation';
import { entityOutput } from '../operation';
import { userStatusFieldProperties } from './fields';
import { userStatusesPath } from './paths';

const show = { resource: ['complianceUserStatus'], operation: ['create'] };

/** POST /deviceManagement/deviceCompliancePolicies/{policyId}/userStatuses */
export const create: ItemOperation = {
	kind: 'item',
	properties: [
		policyIdProperty(show),
		statusProperty(show),
		lastReportedDateTimeProperty(show),
		{
			displayName: 'Additional Fields',
			name: 'additionalFields',
			type: 'collection',
			placeholder: 'Add field',
			default: {},
			displayOptions: { show },
			options: userStatusFieldProperties,
		},
		itemOperationOptions(show),
	],
	toRequest(fn, itemIndex, apiVersion) {
		const policyId = readPolicyId(fn, itemIndex);
		const body = {
			status: readStatus(fn, itemIndex),
			lastReportedDateTime: readLastReportedDateTime(fn, itemIndex),
			...userStatusFields('additionalFields', fn.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject),
		};
		return { method: 'POST', apiVersion, path: userStatusesPath(policyId), body };
	},
	toOutput: entityOutput,
};
