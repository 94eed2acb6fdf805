import { graphPath } from '../../graph/request';

/** `/deviceManagement/deviceCompliancePolicies/{policyId}/userStatuses[/{userStatusId}]`, ids encoded. */
export const userStatusesPath = (policyId: string, userStatusId?: string) =>
	userStatusId === undefined
		? graphPath('deviceManagement', 'deviceCompliancePolicies', policyId, 'userStatuses')
		: graphPath(
				'deviceManagement',
				'deviceCompliancePolicies',
				policyId,
				'userStatuses',
				userStatusId,
			);
