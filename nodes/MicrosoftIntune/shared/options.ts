import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { MAX_BATCH_SIZE } from '../graph/batch';
import type { ExecutorSettings } from '../graph/executor';
import { DEFAULT_EXECUTOR_SETTINGS } from '../graph/executor';
import type { PacerSettings } from '../graph/pacer';
import { INTUNE_LIMITS } from '../graph/pacer';
import { InputError } from '../validation';
import type { DisplayShow } from './parameters';
import { optionsCollection } from './parameters';

/**
 * How requests travel: shown on every per-item operation, read once per execution. The defaults repeat
 * DEFAULT_EXECUTOR_SETTINGS and INTUNE_LIMITS as literals, which n8n's lint requires (a unit test keeps them equal).
 */
export const deliveryOptions: INodeProperties[] = [
	{
		displayName: 'Batching',
		name: 'batching',
		type: 'boolean',
		default: true,
		description:
			'Whether to send up to 20 items per Graph JSON batch request. Off sends one request per item, with the same pacing and retries.',
	},
	{
		displayName: 'Batch Size',
		name: 'batchSize',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 20 },
		default: 20,
		description: 'Items per batch request (1–20)',
	},
	{
		displayName: 'Concurrency',
		name: 'concurrency',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 16 },
		default: 4,
		description: 'HTTP requests in flight at once',
	},
	{
		displayName: 'Write Budget',
		name: 'writesPerWindow',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 100,
		description:
			'Writes (create, update, delete) sent per window; reads may be ten times as many. Intune allows 100 writes per 20 seconds per app; lower it when other apps write to the same tenant (200 per tenant).',
	},
	{
		displayName: 'Budget Window (Seconds)',
		name: 'windowSeconds',
		type: 'number',
		typeOptions: { minValue: 0.001 },
		default: 20,
		description: 'Length of the window the write budget applies to',
	},
	{
		displayName: 'Max Retries',
		name: 'maxRetries',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 20 },
		default: 5,
		description:
			'Retries of a request that Graph throttled (429) or could not serve (503, 504), after its Retry-After',
	},
	{
		displayName: 'Max Total Wait (Seconds)',
		name: 'maxTotalWaitSeconds',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 300,
		description: 'Longest time one item may spend waiting for retries before it fails',
	},
];

export const itemOperationOptions = (
	show: DisplayShow,
	extra: INodeProperties[] = [],
): INodeProperties => optionsCollection(show, [...extra, ...deliveryOptions]);

function positiveNumber(
	name: string,
	value: unknown,
	min: number,
	max = Number.MAX_SAFE_INTEGER,
): number {
	if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
		throw new InputError(`options.${name}`, value, `a number from ${min} to ${max} is expected`);
	}
	return value;
}

/** Intune allows ten times as many requests of any kind as writes; one option sets both. */
function pacerSettings(writesPerWindow: number, windowMs: number): PacerSettings {
	const ratio = INTUNE_LIMITS.requestsPerWindow / INTUNE_LIMITS.writesPerWindow;
	return { writesPerWindow, requestsPerWindow: writesPerWindow * ratio, windowMs };
}

/** Reads the delivery options of the execution (from the first item: they cannot differ per item). */
export function readDeliveryOptions(fn: IExecuteFunctions): {
	executor: Partial<ExecutorSettings>;
	pacer: Partial<PacerSettings>;
} {
	const options = fn.getNodeParameter('options', 0, {}) as IDataObject;
	const read = (name: string, fallback: number, min: number, max?: number) =>
		options[name] === undefined ? fallback : positiveNumber(name, options[name], min, max);
	return {
		executor: {
			batching:
				options.batching === undefined
					? DEFAULT_EXECUTOR_SETTINGS.batching
					: Boolean(options.batching),
			batchSize: Math.floor(read('batchSize', MAX_BATCH_SIZE, 1, MAX_BATCH_SIZE)),
			concurrency: Math.floor(read('concurrency', DEFAULT_EXECUTOR_SETTINGS.concurrency, 1, 64)),
			maxRetries: Math.floor(read('maxRetries', DEFAULT_EXECUTOR_SETTINGS.maxRetries, 0, 20)),
			maxTotalWaitMs:
				read('maxTotalWaitSeconds', DEFAULT_EXECUTOR_SETTINGS.maxTotalWaitMs / 1000, 0) * 1000,
		},
		pacer: pacerSettings(
			Math.floor(read('writesPerWindow', INTUNE_LIMITS.writesPerWindow, 1)),
			read('windowSeconds', INTUNE_LIMITS.windowMs / 1000, 0.001) * 1000,
		),
	};
}
