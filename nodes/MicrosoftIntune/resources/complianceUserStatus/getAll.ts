import { listProperties } from '../../shared/list';
import { policyIdProperty, readPolicyId } from '../../shared/parameters';
import type { ListOperation } from '../operation';
import { userStatusesPath } from './paths';

const show = { resource: ['complianceUserStatus'], operation: ['getAll'] };

/** GET /deviceManagement/deviceCompliancePolicies/{policyId}/userStatuses, every page */
export const getAll: ListOperation = {
	kind: 'list',
	properties: [policyIdProperty(show), ...listProperties(show, "status eq 'nonCompliant'")],
	path: (fn, itemIndex) => userStatusesPath(readPolicyId(fn, itemIndex)),
};
