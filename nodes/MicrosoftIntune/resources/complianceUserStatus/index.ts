import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../operation';
import { create } from './create';
import { deleteUserStatus } from './delete';
import { get } from './get';
import { getAll } from './getAll';
import { update } from './update';

export const complianceUserStatusOperations: Record<string, Operation> = {
	update,
	get,
	getAll,
	create,
	delete: deleteUserStatus,
};

export const complianceUserStatusDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['complianceUserStatus'] } },
		default: 'update',
		options: [
			{
				name: 'Create',
				value: 'create',
				action: 'Create a compliance user status',
				description: 'Add a user status row to a compliance policy',
			},
			{
				name: 'Delete',
				value: 'delete',
				action: 'Delete a compliance user status',
				description: 'Remove a user status row',
			},
			{
				name: 'Get',
				value: 'get',
				action: 'Get a compliance user status',
				description: 'Read one user status',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many compliance user statuses',
				description: 'List the user statuses of a policy',
			},
			{
				name: 'Update',
				value: 'update',
				action: 'Update a compliance user status',
				description: "Set a user's compliance status and report time",
			},
		],
	},
	...Object.values(complianceUserStatusOperations).flatMap((operation) => operation.properties),
];
