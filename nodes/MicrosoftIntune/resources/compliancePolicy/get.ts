import { graphPath } from '../../graph/request';
import { itemOperationOptions } from '../../shared/options';
import { policyIdProperty, readPolicyId } from '../../shared/parameters';
import type { ItemOperation } from '../operation';
import { entityOutput } from '../operation';

const show = { resource: ['compliancePolicy'], operation: ['get'] };

/** GET /deviceManagement/deviceCompliancePolicies/{policyId} */
export const get: ItemOperation = {
	kind: 'item',
	properties: [policyIdProperty(show), itemOperationOptions(show)],
	toRequest(fn, itemIndex, apiVersion) {
		return {
			method: 'GET',
			apiVersion,
			path: graphPath('deviceManagement', 'deviceCompliancePolicies', readPolicyId(fn, itemIndex)),
		};
	},
	toOutput: entityOutput,
};
