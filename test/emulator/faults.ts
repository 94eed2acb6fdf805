// Queue of injected faults; each answers the next `times` matching Graph requests instead of the handler.
import { graphError, graphErrorCode } from './httpUtil.ts';
import type { Fault, GraphResponse } from './types.ts';

interface QueuedFault extends Fault {
	remaining: number;
}

export class FaultQueue {
	private queue: QueuedFault[] = [];

	add(...faults: Fault[]): void {
		for (const f of faults) {
			if (!f || typeof f.status !== 'number')
				throw new Error(`A fault needs a numeric status: ${JSON.stringify(f)}`);
			this.queue.push({ ...f, remaining: f.times ?? 1 });
		}
	}

	clear(): void {
		this.queue.length = 0;
	}

	get pending(): number {
		return this.queue.length;
	}

	/**
	 * Takes one use of the first queued fault matching the request. A fault with neither inBatchOnly
	 * nor envelopeOnly matches any Graph request, the $batch envelope included.
	 */
	take(req: {
		method: string;
		path: string;
		inBatch: boolean;
		isEnvelope: boolean;
	}): GraphResponse | undefined {
		const index = this.queue.findIndex((f) => matches(f, req));
		if (index < 0) return undefined;
		const fault = this.queue[index];
		if (--fault.remaining <= 0) this.queue.splice(index, 1);
		return faultResponse(fault);
	}
}

function matches(
	f: QueuedFault,
	req: { method: string; path: string; inBatch: boolean; isEnvelope: boolean },
): boolean {
	if (f.envelopeOnly && !req.isEnvelope) return false;
	if (f.inBatchOnly && !req.inBatch) return false;
	if (f.method && f.method.toUpperCase() !== req.method.toUpperCase()) return false;
	if (f.pathIncludes && !req.path.toLowerCase().includes(f.pathIncludes.toLowerCase()))
		return false;
	return true;
}

function faultResponse(f: Fault): GraphResponse {
	const headers = { ...(f.headers ?? {}) };
	if (f.body === null || (f.body === undefined && (f.status === 204 || f.status === 304)))
		return { status: f.status, headers };
	if (f.body !== undefined) return { status: f.status, headers, body: structuredClone(f.body) };
	if (f.status < 400) return { status: f.status, headers, body: {} };
	return graphError(
		f.status,
		graphErrorCode(f.status),
		`Injected fault (HTTP ${f.status}) from the Graph emulator.`,
		headers,
	);
}
