import { itemOperationOptions } from '../../shared/options';
import {
	lastReportedDateTimeProperty,
	policyIdProperty,
	readPolicyId,
	readUserStatusId,
	statusProperty,
	userStatusIdProperty,
} from '../../shared/parameters';
import type { ItemOperation } from '../operation';
import { entityOutput } from '../operation';
import { fieldsCollectionProperty, userStatusBody } from './fields';
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
		fieldsCollectionProperty('updateFields', show),
		itemOperationOptions(show),
	],
	toRequest(fn, itemIndex, apiVersion) {
		const path = userStatusesPath(readPolicyId(fn, itemIndex), readUserStatusId(fn, itemIndex));
		const body = userStatusBody(fn, itemIndex, 'updateFields');
		// Intune often answers 204 No Content: the executor then reads the user status back.
		return {
			method: 'PATCH',
			apiVersion,
			path,
			body,
			readBackOnNoContent: true,
		};
	},
	toOutput: entityOutput,
};
