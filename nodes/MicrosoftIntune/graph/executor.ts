import type { INode, NodeApiError } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { batchAnswers, batchBody, MAX_BATCH_SIZE } from './batch';
import { graphError, unsentError } from './errors';
import type { Pacer } from './pacer';
import type { GraphAnswer, GraphRequest } from './request';
import { isWrite } from './request';
import { backoffMs, isRetryable, retryAfterMs, retryDelayMs } from './retry';
import type { GraphTransport } from './transport';
import { TransportError } from './transport';

export interface ExecutorSettings {
	/** Send up to `batchSize` requests in one `$batch`; off sends each request alone. */
	batching: boolean;
	batchSize: number;
	/** HTTP requests in flight at once. */
	concurrency: number;
	/** Retries of one request after its first try. */
	maxRetries: number;
	/** Longest total wait for retries of one request. */
	maxTotalWaitMs: number;
	/** Stop sending once a request has failed for good (the node is about to fail anyway). */
	stopOnFirstError: boolean;
}

export const DEFAULT_EXECUTOR_SETTINGS: ExecutorSettings = {
	batching: true,
	batchSize: MAX_BATCH_SIZE,
	concurrency: 4,
	maxRetries: 5,
	maxTotalWaitMs: 300000,
	stopOnFirstError: false,
};

export type Outcome = { ok: true; answer: GraphAnswer } | { ok: false; error: NodeApiError };

interface Task {
	index: number;
	request: GraphRequest;
	tries: number;
	waitedMs: number;
	notBefore: number;
	/** The request is the GET that reads back an update Graph answered with 204. */
	readingBack: boolean;
}

/** Stands in for an answer that never came; status 0 tells it apart from anything Graph says. */
const noAnswer = (code: string, message: string): GraphAnswer => ({
	status: 0,
	headers: {},
	body: { error: { code, message } },
});

const NO_ANSWER_IN_BATCH = noAnswer(
	'MissingBatchResponse',
	'The $batch answer held no response for this request',
);

const MAX_IDLE_WAIT_MS = 200;

/**
 * Runs a list of Graph requests as fast as Intune allows and puts each answer back at its index:
 * requests are grouped into `$batch` calls, paced under the write budget, and each one that is
 * throttled or meets a transient error is retried alone in a later batch, after its Retry-After.
 * Requests that succeeded are never sent again. `undefined` requests (items that failed validation)
 * are skipped and stay `undefined` in the result, as do requests dropped by `stopOnFirstError`.
 */
export class GraphExecutor {
	constructor(
		private readonly node: INode,
		private readonly transport: GraphTransport,
		private readonly pacer: Pacer,
		private readonly settings: ExecutorSettings,
	) {}

	async run(requests: Array<GraphRequest | undefined>): Promise<Array<Outcome | undefined>> {
		return await new Run(this.node, this.transport, this.pacer, this.settings, requests).complete();
	}
}

class Run {
	private readonly outcomes: Array<Outcome | undefined>;
	private readonly pending: Task[] = [];
	private inFlight = 0;
	private stopped = false;
	private wakeWaiters: Array<() => void> = [];

	constructor(
		private readonly node: INode,
		private readonly transport: GraphTransport,
		private readonly pacer: Pacer,
		private readonly settings: ExecutorSettings,
		requests: Array<GraphRequest | undefined>,
	) {
		this.outcomes = new Array<Outcome | undefined>(requests.length);
		requests.forEach((request, index) => {
			if (request)
				this.pending.push({
					index,
					request,
					tries: 0,
					waitedMs: 0,
					notBefore: 0,
					readingBack: false,
				});
		});
	}

	async complete(): Promise<Array<Outcome | undefined>> {
		const workers = Math.max(1, Math.min(this.settings.concurrency, this.pending.length));
		await Promise.all(Array.from({ length: workers }, async () => await this.work()));
		return this.outcomes;
	}

	private async work(): Promise<void> {
		for (;;) {
			if (this.stopped) this.pending.length = 0;
			const chunk = this.takeChunk(Date.now());
			if (chunk) {
				this.inFlight++;
				try {
					await this.send(chunk);
				} finally {
					this.inFlight--;
					this.wake();
				}
				continue;
			}
			if (this.pending.length === 0 && this.inFlight === 0) return;
			const nextDue = Math.min(...this.pending.map((task) => task.notBefore));
			await this.idle(Math.min(MAX_IDLE_WAIT_MS, Math.max(1, nextDue - Date.now())));
		}
	}

	/** Ready requests of one API version, as many as one HTTP request may carry. */
	private takeChunk(now: number): Task[] | undefined {
		const first = this.pending.find((task) => task.notBefore <= now);
		if (!first) return undefined;
		const size = this.settings.batching ? Math.min(this.settings.batchSize, MAX_BATCH_SIZE) : 1;
		const chunk: Task[] = [];
		let writes = 0;
		for (const task of this.pending) {
			if (chunk.length >= size) break;
			if (task.notBefore > now || task.request.apiVersion !== first.request.apiVersion) continue;
			const write = isWrite(task.request) ? 1 : 0;
			if (chunk.length > 0 && writes + write > this.pacer.maxWritesPerRequest) break;
			writes += write;
			chunk.push(task);
		}
		for (const task of chunk) this.pending.splice(this.pending.indexOf(task), 1);
		return chunk;
	}

	private async send(chunk: Task[]): Promise<void> {
		const writes = chunk.filter((task) => isWrite(task.request)).length;
		const permit = await this.pacer.acquire(writes, chunk.length);
		try {
			if (chunk.length === 1) {
				const [task] = chunk;
				const { method, apiVersion, path, body } = task.request;
				this.settle(task, await this.transport.send(method, apiVersion, path, body));
				return;
			}
			const envelope = await this.transport.send(
				'POST',
				chunk[0].request.apiVersion,
				'/$batch',
				batchBody(
					chunk.map((task) => ({
						id: String(task.index),
						request: task.request,
					})),
				),
			);
			if (envelope.status !== 200) {
				// The whole batch was refused (throttled, unavailable, malformed): each request shares that fate.
				for (const task of chunk) this.settle(task, envelope);
				return;
			}
			const answers = batchAnswers(envelope.body);
			for (const task of chunk)
				this.settle(task, answers.get(String(task.index)) ?? NO_ANSWER_IN_BATCH);
		} catch (error) {
			if (!(error instanceof TransportError))
				throw new NodeOperationError(this.node, error as Error);
			for (const task of chunk) {
				task.tries++;
				if (error.answer) this.fail(task, error.answer);
				else if (error.retryable) this.retryOrFail(task, noAnswer('NoAnswer', error.message));
				else this.settleFailure(task, unsentError(this.node, error, task.request, task.index));
			}
		} finally {
			permit.release();
		}
	}

	private settle(task: Task, answer: GraphAnswer): void {
		task.tries++;
		const { request } = task;
		const ok =
			(answer.status >= 200 && answer.status < 300) ||
			request.acceptStatuses?.includes(answer.status);
		if (ok && answer.status === 204 && request.readBackOnNoContent && !task.readingBack) {
			this.requeue({
				...task,
				request: {
					method: 'GET',
					apiVersion: request.apiVersion,
					path: request.path,
				},
				tries: 0,
				waitedMs: 0,
				notBefore: 0,
				readingBack: true,
			});
			return;
		}
		if (ok) {
			this.outcomes[task.index] = { ok: true, answer };
			return;
		}
		if (answer.status === 429) this.pacer.throttled(retryAfterMs(answer), isWrite(request));
		if (answer.status === 0 || isRetryable(request, answer.status)) this.retryOrFail(task, answer);
		else this.fail(task, answer);
	}

	private retryOrFail(task: Task, answer: GraphAnswer): void {
		const delay = answer.status === 0 ? backoffMs(task.tries) : retryDelayMs(answer, task.tries);
		if (
			task.tries <= this.settings.maxRetries &&
			task.waitedMs + delay <= this.settings.maxTotalWaitMs
		) {
			task.waitedMs += delay;
			task.notBefore = Date.now() + delay;
			this.requeue(task);
			return;
		}
		this.fail(task, answer);
	}

	private fail(task: Task, answer: GraphAnswer): void {
		this.settleFailure(
			task,
			graphError(this.node, answer, task.request, {
				itemIndex: task.index,
				attempts: task.tries,
				prefix: task.readingBack
					? 'The update was applied (Graph answered 204 No Content), but reading the user status back failed.'
					: undefined,
			}),
		);
	}

	private settleFailure(task: Task, error: NodeApiError): void {
		this.outcomes[task.index] = { ok: false, error };
		if (this.settings.stopOnFirstError) this.stopped = true;
	}

	private requeue(task: Task): void {
		this.pending.push(task);
		this.wake();
	}

	private wake(): void {
		const waiters = this.wakeWaiters;
		this.wakeWaiters = [];
		for (const resolve of waiters) resolve();
	}

	private async idle(ms: number): Promise<void> {
		await Promise.race([new Promise<void>((resolve) => this.wakeWaiters.push(resolve)), sleep(ms)]);
	}
}
