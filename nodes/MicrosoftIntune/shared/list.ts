import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { ApiVersion, GraphRequest } from '../graph/request';
import { withQuery } from '../graph/request';
import { InputError } from '../validation';
import type { DisplayShow } from './parameters';
import { optionsCollection } from './parameters';

/** Graph pages hold at most 999 entities; a larger $top is refused by some services. */
const MAX_PAGE_SIZE = 999;

export const listProperties = (show: DisplayShow, filterExample: string): INodeProperties[] => [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: { show },
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { ...show, returnAll: [false] } },
	},
	optionsCollection(show, [
		{
			displayName: 'Filter',
			name: 'filter',
			type: 'string',
			default: '',
			placeholder: `e.g. ${filterExample}`,
			description: 'OData $filter, where Graph supports it for this collection',
		},
		{
			displayName: 'Select',
			name: 'select',
			type: 'string',
			default: '',
			placeholder: 'e.g. userPrincipalName,status',
			description: 'Comma-separated properties to return ($select)',
		},
	]),
];

/** The first page's request and how many entities to read (undefined: all). */
export function readListRequest(
	fn: IExecuteFunctions,
	itemIndex: number,
	apiVersion: ApiVersion,
	path: string,
): { request: GraphRequest; limit?: number } {
	const returnAll = fn.getNodeParameter('returnAll', itemIndex, false) as boolean;
	let limit: number | undefined;
	if (!returnAll) {
		const value = fn.getNodeParameter('limit', itemIndex, 50);
		if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
			throw new InputError('limit', value, 'the limit is a whole number of at least 1');
		}
		limit = value;
	}
	const filter = String(fn.getNodeParameter('options.filter', itemIndex, '')).trim();
	const select = String(fn.getNodeParameter('options.select', itemIndex, ''))
		.split(',')
		.map((name) => name.trim())
		.filter(Boolean);
	for (const name of select) {
		if (!/^[A-Za-z@][A-Za-z0-9_.@]*$/.test(name))
			throw new InputError('options.select', name, 'not a property name');
	}
	const query = {
		// $top only asks for smaller pages; the pager stops at the limit whether Graph honours it or not.
		$top: limit === undefined ? undefined : Math.min(limit, MAX_PAGE_SIZE),
		$filter: filter || undefined,
		$select: select.length ? select.join(',') : undefined,
	};
	return {
		request: { method: 'GET', apiVersion, path: withQuery(path, query) },
		limit,
	};
}
