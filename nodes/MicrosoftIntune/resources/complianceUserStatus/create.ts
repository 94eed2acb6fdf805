import { itemOperationOptions } from '../../shared/options';
import {
	lastReportedDateTimeProperty,
	policyIdProperty,
	readPolicyId,
	statusProperty,
} from '../../shared/parameters';
import type { ItemOperation } from '../operation';
import { entityOutput } from '../operation';
import { fieldsCollectionProperty, userStatusBody } from './fields';
import { userStatusesPath } from './paths';

const show = { resource: ['complianceUserStatus'], operation: ['create'] };

/** POST /deviceManagement/deviceCompliancePolicies/{policyId}/userStatuses */
export const create: ItemOperation = {
	kind: 'item',
	properties: [
		policyIdProperty(show),
		statusProperty(show),
		lastReportedDateTimeProperty(show),
		fieldsCollectionProperty('additionalFields', show),
		itemOperationOptions(show),
	],
	toRequest(fn, itemIndex, apiVersion) {
		const body = userStatusBody(fn, itemIndex, 'additionalFields');
		return {
			method: 'POST',
			apiVersion,
			path: userStatusesPath(readPolicyId(fn, itemIndex)),
			body,
		};
	},
	toOutput: entityOutput,
};
