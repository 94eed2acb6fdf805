import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';

import { GraphClient } from '../graph/client';
import type { ApiVersion, GraphRequest } from '../graph/request';
import { graphPath, withQuery } from '../graph/request';
import { userStatusesPath } from '../resources/complianceUserStatus/paths';
import { policyGuid } from '../validation';

const PAGE_SIZE = 100;

function apiVersion(fn: ILoadOptionsFunctions): ApiVersion {
	return fn.getNodeParameter('options.apiVersion', 'beta') === 'v1.0' ? 'v1.0' : 'beta';
}

/**
 * One page of a collection for a picker. Graph's `$filter` support differs between Intune collections,
 * so the search text is matched here, on the names shown; `paginationToken` is Graph's next link
 * (checked against the Graph origin again when it comes back).
 */
async function searchPage(
	fn: ILoadOptionsFunctions,
	firstPage: GraphRequest,
	toItem: (entity: IDataObject) => INodeListSearchItems,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const client = await GraphClient.create(fn);
	const page = await client.page(
		paginationToken ? client.nextLinkRequest(paginationToken) : firstPage,
	);
	const needle = filter?.trim().toLowerCase();
	const results = page.items
		.map(toItem)
		.filter(
			(item) =>
				!needle ||
				item.name.toLowerCase().includes(needle) ||
				String(item.value).toLowerCase() === needle,
		);
	const next = page.next
		? `${client.graphBaseUrl}/${page.next.apiVersion}${page.next.path}`
		: undefined;
	return { results, paginationToken: next };
}

export async function searchPolicies(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const path = withQuery(graphPath('deviceManagement', 'deviceCompliancePolicies'), {
		$select: 'id,displayName',
		$top: PAGE_SIZE,
	});
	return await searchPage(
		this,
		{ method: 'GET', apiVersion: apiVersion(this), path },
		(policy) => ({
			name: String(policy.displayName ?? policy.id),
			value: String(policy.id),
		}),
		filter,
		paginationToken,
	);
}

export async function searchUserStatuses(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const policyId = policyGuid(
		'policyId',
		this.getNodeParameter('policyId', undefined, { extractValue: true }),
	);
	const path = withQuery(userStatusesPath(policyId), { $top: PAGE_SIZE });
	return await searchPage(
		this,
		{ method: 'GET', apiVersion: apiVersion(this), path },
		(status) => ({
			name:
				[
					status.userDisplayName,
					status.userPrincipalName && `(${status.userPrincipalName})`,
					`· ${status.status}`,
				]
					.filter(Boolean)
					.join(' ') || String(status.id),
			value: String(status.id),
		}),
		filter,
		paginationToken,
	);
}
