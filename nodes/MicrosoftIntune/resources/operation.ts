import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { ApiVersion, GraphAnswer, GraphRequest } from '../graph/request';

/**
 * An operation that makes one Graph request per input item (update, get, create, delete). It only
 * translates: item → request, answer → output. Sending, batching, pacing and retries are the executor's.
 */
export interface ItemOperation {
	kind: 'item';
	properties: INodeProperties[];
	/** Reads and validates the item's parameters; throws InputError for bad input, before anything is sent. */
	toRequest(fn: IExecuteFunctions, itemIndex: number, apiVersion: ApiVersion): GraphRequest;
	toOutput(answer: GraphAnswer, request: GraphRequest): IDataObject;
}

/** An operation that reads a collection for each input item, one output item per entity. */
export interface ListOperation {
	kind: 'list';
	properties: INodeProperties[];
	/** The collection's path for the item (validated ids, encoded); paging and query options are shared. */
	path(fn: IExecuteFunctions, itemIndex: number): string;
}

export type Operation = ItemOperation | ListOperation;

/** Graph's entity as the next node should see it: `@odata.context` (a metadata URL) is dropped, other annotations kept. */
export function entityOutput(answer: GraphAnswer): IDataObject {
	const entity = { ...((answer.body ?? {}) as IDataObject) };
	delete entity['@odata.context'];
	return entity;
}
