import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { DisplayShow } from '../../shared/parameters';
import { readLastReportedDateTime, readStatus } from '../../shared/parameters';
import { userStatusFields } from '../../validation';

/** The optional properties of a user status, offered as Update Fields (update) and Additional Fields (create). */
const userStatusFieldProperties: INodeProperties[] = [
	{
		displayName: 'Devices Count',
		name: 'devicesCount',
		type: 'number',
		typeOptions: { minValue: 0, numberPrecision: 0 },
		default: 0,
		description: "Number of the user's devices the status covers",
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

export type FieldsCollection = 'updateFields' | 'additionalFields';

export const fieldsCollectionProperty = (
	name: FieldsCollection,
	show: DisplayShow,
): INodeProperties => ({
	displayName: name === 'updateFields' ? 'Update Fields' : 'Additional Fields',
	name,
	type: 'collection',
	placeholder: 'Add field',
	default: {},
	displayOptions: { show },
	options: userStatusFieldProperties,
});

/** The body of a create or update: status and report time (required), then the optional fields, all checked. */
export function userStatusBody(
	fn: IExecuteFunctions,
	itemIndex: number,
	fields: FieldsCollection,
): IDataObject {
	return {
		status: readStatus(fn, itemIndex),
		lastReportedDateTime: readLastReportedDateTime(fn, itemIndex),
		...userStatusFields(fields, fn.getNodeParameter(fields, itemIndex, {}) as IDataObject),
	};
}
