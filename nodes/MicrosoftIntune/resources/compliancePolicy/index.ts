import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../operation';
import { get } from './get';
import { getAll } from './getAll';

export const compliancePolicyOperations: Record<string, Operation> = {
	get,
	getAll,
};

export const compliancePolicyDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['compliancePolicy'] } },
		default: 'getAll',
		options: [
			{
				name: 'Get',
				value: 'get',
				action: 'Get a compliance policy',
				description: 'Read one device compliance policy',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many compliance policies',
				description: 'List the device compliance policies',
			},
		],
	},
	...Object.values(compliancePolicyOperations).flatMap((operation) => operation.properties),
];
