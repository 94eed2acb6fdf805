import {
	policyIdProperty,
	readPolicyId,
	readUserStatusId,
	userStatusIdProperty,
} from '../../shared/parameters';
import { itemOperationOptions } from '../../shared/options';
import type { ItemOperation } from '../operation';
import { userStatusesPath } from './paths';

const show = { resource: ['complianceUserStatus'], operation: ['delete'] };

/** DELETE /deviceManagement/deviceCompliancePolicies/{policyId}/userStatuses/{userStatusId} */
export const deleteUserStatus: ItemOperation = {
	kind: 'item',
	properties: [
		policyIdProperty(show),
		userStatusIdProperty(show),
		itemOperationOptions(show, [
			{
				displayName: 'Already Gone Is Fine',
				name: 'ignoreNotFound',
				type: 'boolean',
				default: false,
				description:
					'Whether a user status that does not exist (404) counts as deleted instead of failing the item',
			},
		]),
	],
	toRequest(fn, itemIndex, apiVersion) {
		const userStatusId = readUserStatusId(fn, itemIndex);
		const path = userStatusesPath(readPolicyId(fn, itemIndex), userStatusId);
		const ignoreNotFound = fn.getNodeParameter(
			'options.ignoreNotFound',
			itemIndex,
			false,
		) as boolean;
		return {
			method: 'DELETE',
			apiVersion,
			path,
			acceptStatuses: ignoreNotFound ? [404] : undefined,
		};
	},
	toOutput(answer, request) {
		const id = decodeURIComponent(request.path.split('/').pop()!);
		return answer.status === 404 ? { deleted: true, id, alreadyGone: true } : { deleted: true, id };
	},
};
