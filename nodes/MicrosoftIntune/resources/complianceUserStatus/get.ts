import {
	policyIdProperty,
	readPolicyId,
	readUserStatusId,
	userStatusIdProperty,
} from '../../shared/parameters';
import { itemOperationOptions } from '../../shared/options';
import type { ItemOperation } from '../operation';
import { entityOutput } from '../operation';
import { userStatusesPath } from './paths';

const show = { resource: ['complianceUserStatus'], operation: ['get'] };

/** GET /deviceManagement/deviceCompliancePolicies/{policyId}/userStatuses/{userStatusId} */
export const get: ItemOperation = {
	kind: 'item',
	properties: [policyIdProperty(show), userStatusIdProperty(show), itemOperationOptions(show)],
	toRequest(fn, itemIndex, apiVersion) {
		const path = userStatusesPath(readPolicyId(fn, itemIndex), readUserStatusId(fn, itemIndex));
		return { method: 'GET', apiVersion, path };
	},
	toOutput: entityOutput,
};
