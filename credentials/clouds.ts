import type { INodeProperties } from 'n8n-workflow';

/**
 * The one table of Microsoft clouds: every host name this package knows lives here.
 * Both credentials offer these clouds; `custom` takes the two base URLs from the credential itself
 * (a proxy, an unlisted sovereign cloud, or a local Graph emulator).
 */
export type CloudName = 'global' | 'usGov' | 'usGovDod' | 'china' | 'custom';

export interface CloudEndpoints {
	/** Graph origin without a trailing slash, e.g. https://graph.microsoft.com */
	graphBaseUrl: string;
	/** Identity platform origin without a trailing slash, e.g. https://login.microsoftonline.com */
	loginBaseUrl: string;
}

export const CLOUDS: Record<
	Exclude<CloudName, 'custom'>,
	CloudEndpoints & { displayName: string }
> = {
	global: {
		displayName: 'Global (Commercial, GCC)',
		graphBaseUrl: 'https://graph.microsoft.com',
		loginBaseUrl: 'https://login.microsoftonline.com',
	},
	usGov: {
		displayName: 'US Government L4 (GCC High)',
		graphBaseUrl: 'https://graph.microsoft.us',
		loginBaseUrl: 'https://login.microsoftonline.us',
	},
	usGovDod: {
		displayName: 'US Government L5 (DoD)',
		graphBaseUrl: 'https://dod-graph.microsoft.us',
		loginBaseUrl: 'https://login.microsoftonline.us',
	},
	china: {
		displayName: 'China (21Vianet)',
		graphBaseUrl: 'https://microsoftgraph.chinacloudapi.cn',
		loginBaseUrl: 'https://login.partner.microsoftonline.cn',
	},
};

export const CLOUD_OPTIONS = [
	...Object.entries(CLOUDS).map(([value, cloud]) => ({
		name: cloud.displayName,
		value,
	})),
	{ name: 'Custom (Proxy, Other Cloud or Local Emulator)', value: 'custom' },
];

/** The Graph permission a write needs; the OAuth2 scope and the error hints name it. */
export const WRITE_PERMISSION = 'DeviceManagementConfiguration.ReadWrite.All';

function trimTrailingSlashes(url: string): string {
	return url.replace(/\/+$/, '');
}

/** Resolves the endpoints of a credential's cloud. Throws on an unknown cloud or a custom cloud without URLs. */
export function resolveCloud(credentials: {
	cloud?: unknown;
	graphApiBaseUrl?: unknown;
	loginBaseUrl?: unknown;
}): CloudEndpoints {
	const cloud = (credentials.cloud ?? 'global') as string;
	if (cloud === 'custom') {
		const graphBaseUrl = trimTrailingSlashes(String(credentials.graphApiBaseUrl ?? '').trim());
		const loginBaseUrl = trimTrailingSlashes(String(credentials.loginBaseUrl ?? '').trim());
		for (const [field, value] of [
			['Graph API Base URL', graphBaseUrl],
			['Login Base URL', loginBaseUrl],
		]) {
			if (!/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/i.test(value)) {
				throw new Error(`The credential's ${field} "${value}" is not an http(s) URL`);
			}
		}
		return { graphBaseUrl, loginBaseUrl };
	}
	const known = CLOUDS[cloud as keyof typeof CLOUDS];
	if (!known) throw new Error(`Unknown cloud "${cloud}" in the credential`);
	return { graphBaseUrl: known.graphBaseUrl, loginBaseUrl: known.loginBaseUrl };
}

/**
 * n8n evaluates hidden credential fields as expressions over `$self` (the credential's own data), so the
 * OAuth2 URLs and scope are written as expressions built from this table: the table stays the only place
 * that knows a host.
 */
function cloudExpression(
	field: 'graphBaseUrl' | 'loginBaseUrl',
	customField: string,
	data: '$self' | '$credentials',
): string {
	const byCloud = Object.fromEntries(
		Object.entries(CLOUDS).map(([name, cloud]) => [name, cloud[field]]),
	);
	return `(${JSON.stringify(byCloud)}[${data}.cloud] || String(${data}.${customField} || '').replace(/\\/+$/, ''))`;
}

/** In a credential's own fields, n8n names the credential's data `$self`. */
export const LOGIN_BASE_EXPRESSION = cloudExpression('loginBaseUrl', 'loginBaseUrl', '$self');
export const GRAPH_BASE_EXPRESSION = cloudExpression('graphBaseUrl', 'graphApiBaseUrl', '$self');
/** In a credential's `test` request, n8n names the credential's data `$credentials`. */
export const GRAPH_BASE_EXPRESSION_FOR_TEST = cloudExpression(
	'graphBaseUrl',
	'graphApiBaseUrl',
	'$credentials',
);

/** The cloud selection fields, the same in both credentials. */
export const cloudCredentialProperties: INodeProperties[] = [
	{
		displayName: 'Cloud',
		name: 'cloud',
		type: 'options',
		options: CLOUD_OPTIONS,
		default: 'global',
		description:
			'The Microsoft cloud of the tenant. Microsoft 365 GCC (not High) uses Global. Tokens of one cloud do not work in another.',
	},
	{
		displayName: 'Graph API Base URL',
		name: 'graphApiBaseUrl',
		type: 'string',
		default: '',
		placeholder: 'https://graph.example.test',
		required: true,
		displayOptions: { show: { cloud: ['custom'] } },
		description: 'Origin of the Graph API, without the version (for example a proxy)',
	},
	{
		displayName: 'Login Base URL',
		name: 'loginBaseUrl',
		type: 'string',
		default: '',
		placeholder: 'https://login.example.test',
		required: true,
		displayOptions: { show: { cloud: ['custom'] } },
		description: 'Origin of the identity platform that issues the tokens',
	},
];
