import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { searchPolicies, searchUserStatuses } from './listSearch';
import { compliancePolicyDescription } from './resources/compliancePolicy';
import { complianceUserStatusDescription } from './resources/complianceUserStatus';
import { route } from './resources/router';

export class MicrosoftIntune implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Intune',
		name: 'microsoftIntune',
		icon: { light: 'file:intune.svg', dark: 'file:intune.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description: 'Read and update Microsoft Intune device compliance through Microsoft Graph',
		defaults: { name: 'Microsoft Intune' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'microsoftIntuneOAuth2Api',
				required: true,
				displayOptions: { show: { authentication: ['oAuth2'] } },
			},
			{
				name: 'microsoftIntuneServicePrincipalApi',
				required: true,
				displayOptions: { show: { authentication: ['servicePrincipal'] } },
			},
		],
		properties: [
			{
				displayName: 'Authentication',
				name: 'authentication',
				type: 'options',
				options: [
					{ name: 'OAuth2 (Delegated, Signed-In User)', value: 'oAuth2' },
					{ name: 'Service Principal (App-Only)', value: 'servicePrincipal' },
				],
				default: 'oAuth2',
			},
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Compliance User Status', value: 'complianceUserStatus' },
					{ name: 'Compliance Policy', value: 'compliancePolicy' },
				],
				default: 'complianceUserStatus',
			},
			...complianceUserStatusDescription,
			...compliancePolicyDescription,
		],
	};

	methods = {
		listSearch: { searchPolicies, searchUserStatuses },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [await route(this)];
	}
}
