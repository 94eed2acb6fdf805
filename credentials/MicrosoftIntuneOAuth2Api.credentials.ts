import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import {
	cloudCredentialProperties,
	GRAPH_BASE_EXPRESSION,
	LOGIN_BASE_EXPRESSION,
	WRITE_PERMISSION,
} from './clouds';

const tokenEndpoint = (action: 'authorize' | 'token') =>
	`={{${LOGIN_BASE_EXPRESSION}}}/{{$self.tenantId}}/oauth2/v2.0/${action}`;

export class MicrosoftIntuneOAuth2Api implements ICredentialType {
	name = 'microsoftIntuneOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Microsoft Intune OAuth2 API';

	icon = 'file:../nodes/MicrosoftIntune/intune.svg' as const;

	documentationUrl =
		'https://learn.microsoft.com/en-us/graph/api/intune-deviceconfig-devicecomplianceuserstatus-update';

	properties: INodeProperties[] = [
		...cloudCredentialProperties,
		{
			displayName: 'Tenant ID',
			name: 'tenantId',
			type: 'string',
			default: 'organizations',
			description:
				'Directory (tenant) ID or domain of the Entra tenant. "organizations" lets any work or school account sign in.',
		},
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'hidden',
			default: 'authorizationCode',
		},
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'hidden',
			default: tokenEndpoint('authorize'),
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: tokenEndpoint('token'),
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default: `=offline_access {{${GRAPH_BASE_EXPRESSION}}}/${WRITE_PERMISSION}`,
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			default: 'response_mode=query',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'hidden',
			default: 'body',
		},
	];
}
