import { graphPath } from '../../graph/request';
import { listProperties } from '../../shared/list';
import type { ListOperation } from '../operation';

const show = { resource: ['compliancePolicy'], operation: ['getAll'] };

/** GET /deviceManagement/deviceCompliancePolicies, every page */
export const getAll: ListOperation = {
	kind: 'list',
	properties: listProperties(show, "startswith(displayName,'Windows')"),
	path: () => graphPath('deviceManagement', 'deviceCompliancePolicies'),
};
