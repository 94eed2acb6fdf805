import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { GraphClient } from '../graph/client';
import type { GraphRequest } from '../graph/request';
import { readListRequest } from '../shared/list';
import { readDeliveryOptions } from '../shared/options';
import { readApiVersion } from '../shared/parameters';
import { InputError, toNodeOperationError } from '../validation';
import { compliancePolicyOperations } from './compliancePolicy';
import { complianceUserStatusOperations } from './complianceUserStatus';
import type { ItemOperation, ListOperation, Operation } from './operation';

const operations: Record<string, Record<string, Operation>> = {
	complianceUserStatus: complianceUserStatusOperations,
	compliancePolicy: compliancePolicyOperations,
};

/** Runs the node's operation over all input items: one output item per input item (lists: per entity). */
export async function route(fn: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const resource = fn.getNodeParameter('resource', 0) as string;
	const operationName = fn.getNodeParameter('operation', 0) as string;
	const operation = operations[resource]?.[operationName];
	if (!operation) {
		throw new NodeOperationError(
			fn.getNode(),
			`The operation "${operationName}" of "${resource}" is not supported`,
		);
	}
	return operation.kind === 'item'
		? await runItemOperation(fn, operation)
		: await runListOperation(fn, operation);
}

/**
 * The output of a failed item under Continue On Fail: `error` and `details` only, the keys n8n reads to
 * send an item to the error output when the node has one.
 */
function errorItem(
	error: NodeApiError | NodeOperationError,
	itemIndex: number,
): INodeExecutionData {
	return {
		json: { error: error.message, ...(error.description ? { details: error.description } : {}) },
		pairedItem: { item: itemIndex },
	};
}

/** Bad input becomes the NodeOperationError that names parameter, value and item; other errors pass. */
function inputFailure(
	fn: IExecuteFunctions,
	error: unknown,
	itemIndex: number,
): NodeApiError | NodeOperationError {
	if (error instanceof InputError) return toNodeOperationError(fn, error, itemIndex);
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return new NodeOperationError(fn.getNode(), error as Error, { itemIndex });
}

/** The delivery options (batching, budget, retries), read once; bad values name the option and item 0. */
function readItemOptions(fn: IExecuteFunctions): ReturnType<typeof readDeliveryOptions> {
	let failure: NodeApiError | NodeOperationError;
	try {
		return readDeliveryOptions(fn);
	} catch (error) {
		failure = inputFailure(fn, error, 0);
	}
	throw failure;
}

async function runItemOperation(
	fn: IExecuteFunctions,
	operation: ItemOperation,
): Promise<INodeExecutionData[]> {
	const items = fn.getInputData();
	const continueOnFail = fn.continueOnFail();
	const delivery = readItemOptions(fn);

	// Every item is validated before anything is sent: without Continue On Fail, bad input stops the
	// node while nothing has been changed yet.
	const requests: Array<GraphRequest | undefined> = [];
	const inputErrors: Array<NodeApiError | NodeOperationError | undefined> = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			requests[itemIndex] = operation.toRequest(fn, itemIndex, readApiVersion(fn, itemIndex));
		} catch (error) {
			const failure = inputFailure(fn, error, itemIndex);
			if (!continueOnFail) throw failure;
			inputErrors[itemIndex] = failure;
		}
	}

	const client = await GraphClient.create(
		fn,
		{ ...delivery.executor, stopOnFirstError: !continueOnFail },
		delivery.pacer,
	);
	const outcomes = await client.run(requests);

	if (!continueOnFail) {
		const failed = outcomes.find((outcome) => outcome && !outcome.ok);
		if (failed && !failed.ok) throw failed.error;
	}
	return items.map((_, itemIndex) => {
		const outcome = outcomes[itemIndex];
		if (outcome?.ok) {
			return {
				json: operation.toOutput(outcome.answer, requests[itemIndex]!),
				pairedItem: { item: itemIndex },
			};
		}
		return errorItem(outcome ? outcome.error : inputErrors[itemIndex]!, itemIndex);
	});
}

async function runListOperation(
	fn: IExecuteFunctions,
	operation: ListOperation,
): Promise<INodeExecutionData[]> {
	const items = fn.getInputData();
	const client = await GraphClient.create(fn);
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const apiVersion = readApiVersion(fn, itemIndex);
			const { request, limit } = readListRequest(
				fn,
				itemIndex,
				apiVersion,
				operation.path(fn, itemIndex),
			);
			const entities = await client.list(request, limit, itemIndex);
			for (const entity of entities) output.push({ json: entity, pairedItem: { item: itemIndex } });
		} catch (error) {
			const failure = inputFailure(fn, error, itemIndex);
			if (!fn.continueOnFail()) throw failure;
			output.push(errorItem(failure, itemIndex));
		}
	}
	return output;
}
