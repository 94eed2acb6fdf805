import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestHelper,
	INodeProperties,
} from 'n8n-workflow';

import { cloudCredentialProperties, GRAPH_BASE_EXPRESSION_FOR_TEST } from './clouds';
import { acquireAppToken } from './msal';

export class MicrosoftIntuneServicePrincipalApi implements ICredentialType {
	name = 'microsoftIntuneServicePrincipalApi';

	displayName = 'Microsoft Intune Service Principal API';

	icon = 'file:../nodes/MicrosoftIntune/intune.svg' as const;

	documentationUrl = 'https://learn.microsoft.com/en-us/graph/auth-v2-service';

	properties: INodeProperties[] = [
		...cloudCredentialProperties,
		{
			displayName: 'Tenant ID',
			name: 'tenantId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. 72f988bf-86f1-41af-91ab-2d7cd011db47 or contoso.onmicrosoft.com',
			description:
				'Directory (tenant) ID or primary domain. App-only access needs a real tenant, not "common" or "organizations".',
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			description: 'Application (client) ID of the app registration',
		},
		{
			displayName: 'Client Credential Type',
			name: 'clientCredentialType',
			type: 'options',
			options: [
				{ name: 'Client Secret', value: 'clientSecret' },
				{ name: 'Certificate', value: 'certificate' },
			],
			default: 'clientSecret',
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { clientCredentialType: ['clientSecret'] } },
			description: 'The secret Value from Certificates & secrets (not the secret ID)',
		},
		{
			displayName: 'Certificate',
			name: 'certificate',
			type: 'string',
			// Not secret, but masked all the same as n8n's lint asks of certificate fields.
			typeOptions: { password: true, rows: 5 },
			default: '',
			required: true,
			placeholder: '-----BEGIN CERTIFICATE-----',
			displayOptions: { show: { clientCredentialType: ['certificate'] } },
			description:
				'PEM certificate uploaded to the app registration (a chain may follow it). Its SHA-256 thumbprint is computed from it.',
		},
		{
			displayName: 'Private Key',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true, rows: 5 },
			default: '',
			required: true,
			placeholder: '-----BEGIN PRIVATE KEY-----',
			displayOptions: { show: { clientCredentialType: ['certificate'] } },
			description: 'PEM private key of the certificate (PKCS#8 or PKCS#1, optionally encrypted)',
		},
		{
			displayName: 'Private Key Passphrase',
			name: 'privateKeyPassphrase',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { clientCredentialType: ['certificate'] } },
			description: 'Only for an encrypted private key',
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
	];

	/** n8n calls this when the token field is empty or Graph refused the token (401), then retries once. */
	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		return { accessToken: await acquireAppToken(credentials) };
	}

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: { Authorization: '=Bearer {{$credentials.accessToken}}' },
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: `={{${GRAPH_BASE_EXPRESSION_FOR_TEST}}}/v1.0`,
			url: '/deviceManagement/deviceCompliancePolicies?$top=1&$select=id',
		},
	};
}
