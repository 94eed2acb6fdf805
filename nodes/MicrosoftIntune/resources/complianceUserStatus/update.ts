import type { IDataObject } from 'n8n-workflow';

import {
	lastReportedDateTimeProperty,
	policyIdProperty,
	readLastReportedDateTime,
	readPolicyId,
	readStatus,
	readUserStatusId,
	statusProperty,
	userStatusIdProperty,
} from '../../shared/parameters';
import { itemOperationOptions } from '../../shared/options';
import { userStatusFields } from '../../validation';
import type { ItemOperation } from '../operation';
import { entityOutput } from '../operation';
import { userStatusFieldProperties } from './fields';
import { userStatusesPath } from './paths';

const show = { resource: ['complianceUserStatus'], operation: ['update'] };

/** PATCH /deviceManagement/deviceCompliancePolicies/{policyId}/userStatuses/{userStatusId} */
export const update: ItemOperation = {
	kind: 'item',
	properties: [
		policyIdProperty(show),
		userStatusIdProperty(show),
		statusProperty(show),
		lastReportedDateTimeProperty(show),
		{
			displayName: 'Update Fields',
			name: 'updateFields',
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
		const userStatusId = readUserStatusId(fn, itemIndex);
		const body = {
			status: readStatus(fn, itemIndex),
			lastReportedDateTime: readLastReportedDateTime(fn, itemIndex),
			...userStatusFields('updateFields', fn.getNodeParameter('updateFields', itemIndex, {}) as IDataObject),
		};
		// Intune often answers 204 No Content: the executor then reads the user status back.
		return { method: 'PATCH', apiVersion, path: userStatusesPath(policyId, userStatusId), body, readBackOnNoContent: true };
	},
	toOutput: entityOutput,
};
