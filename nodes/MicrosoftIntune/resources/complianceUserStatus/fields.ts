import type { INodeProperties } from 'n8n-workflow';

/** The optional properties of a user status, offered as Update Fields and Additional Fields. */
export const userStatusFieldProperties: INodeProperties[] = [
	{
		displayName: 'Devices Count',
		name: 'devicesCount',
		type: 'number',
		typeOptions: { minValue: 0, numberPrecision: 0 },
		default: 0,
		description: 'Number of the user\'s devices the status covers',
	},
	{
		displayName: 'User Display Name',
		name: 'userDisplayName',
		type: 'string',
		default: '',
	},
	{
		displayName: 'User Principal Name',
		name: 'userPrincipalName',
		type: 'string',
		default: '',
		placeholder: 'e.g. adele.vance@contoso.com',
	},
];
