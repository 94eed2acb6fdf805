import { sleep } from 'n8n-workflow';

export interface PacerSettings {
	/** Writes (POST, PATCH, DELETE) allowed per window: Intune allows 100 per 20 s per app and tenant. */
	writesPerWindow: number;
	/** All requests allowed per window: Intune allows 1000 per 20 s per app and tenant. */
	requestsPerWindow: number;
	windowMs: number;
}

export const INTUNE_LIMITS: PacerSettings = {
	writesPerWindow: 100,
	requestsPerWindow: 1000,
	windowMs: 20000,
};

/**
 * One sliding-window budget. A slot counts from when it is taken until a window after its request
 * finished: the server counts when the request arrives, which is between the two, so this never runs
 * ahead of the server's window whatever the latency.
 */
class Budget {
	private readonly slots: number[] = [];

	constructor(
		public limit: number,
		private readonly windowMs: number,
	) {}

	/** Milliseconds until `count` slots are free (0: free now). */
	waitFor(count: number, now: number): number {
		this.expire(now);
		const excess = this.slots.length + Math.min(count, this.limit) - this.limit;
		if (excess <= 0) return 0;
		const sorted = [...this.slots].sort((a, b) => a - b);
		const releasedAt = sorted[excess - 1] + this.windowMs;
		// A slot still in flight (Infinity) frees only when its request finishes: look again soon.
		return Number.isFinite(releasedAt) ? Math.max(1, releasedAt - now) : 25;
	}

	take(count: number): number[] {
		const taken = Array.from({ length: count }, () => Infinity);
		this.slots.push(...taken);
		return taken;
	}

	/** Marks `count` in-flight slots as finished now. */
	finish(count: number, now: number): void {
		for (let i = 0, done = 0; i < this.slots.length && done < count; i++) {
			if (this.slots[i] === Infinity) {
				this.slots[i] = now;
				done++;
			}
		}
	}

	inWindow(now: number): number {
		this.expire(now);
		return this.slots.length;
	}

	private expire(now: number): void {
		for (let i = this.slots.length - 1; i >= 0; i--) {
			if (this.slots[i] + this.windowMs <= now) this.slots.splice(i, 1);
		}
	}
}

export interface Permit {
	/** Call when the HTTP request carrying these slots has been answered. */
	release(): void;
}

/**
 * Keeps the node's requests inside Intune's budgets so that almost nothing is refused, and learns from
 * the refusals that still come (other apps share the tenant's 200 writes per window): a 429 pauses all
 * sending for its Retry-After and lowers the write budget; each quiet window gives some of it back.
 */
export class Pacer {
	private readonly writes: Budget;
	private readonly requests: Budget;
	private pausedUntil = 0;
	private lastThrottleAt = 0;
	private queue: Promise<void> = Promise.resolve();

	constructor(
		private readonly settings: PacerSettings,
		private readonly clock: () => number = Date.now,
	) {
		this.writes = new Budget(settings.writesPerWindow, settings.windowMs);
		this.requests = new Budget(settings.requestsPerWindow, settings.windowMs);
	}

	/** Largest number of writes one HTTP request may carry without ever fitting the budget. */
	get maxWritesPerRequest(): number {
		return Math.max(1, this.writes.limit);
	}

	/** Waits until `writes` writes among `total` requests may be sent, first come first served. */
	async acquire(writes: number, total: number): Promise<Permit> {
		const turn = this.queue.then(async () => await this.waitForRoom(writes, total));
		this.queue = turn.then(
			() => undefined,
			() => undefined,
		);
		await turn;
		this.writes.take(writes);
		this.requests.take(total);
		let released = false;
		return {
			release: () => {
				if (released) return;
				released = true;
				const now = this.clock();
				this.writes.finish(writes, now);
				this.requests.finish(total, now);
			},
		};
	}

	/**
	 * Tells the pacer that Graph refused a request with 429: all sending pauses for its Retry-After,
	 * and a refused write lowers the write budget by a tenth, to half the configured budget at most.
	 */
	throttled(retryAfterMs: number | undefined, wasWrite: boolean): void {
		const now = this.clock();
		this.pausedUntil = Math.max(this.pausedUntil, now + (retryAfterMs ?? 1000));
		if (wasWrite) {
			const floor = Math.ceil(this.settings.writesPerWindow / 2);
			this.writes.limit = Math.max(
				floor,
				Math.min(this.writes.limit, Math.floor(this.writes.limit * 0.9)),
			);
		}
		this.lastThrottleAt = now;
	}

	private async waitForRoom(writes: number, total: number): Promise<void> {
		for (;;) {
			const now = this.clock();
			this.recover(now);
			const wait = Math.max(
				this.pausedUntil - now,
				this.writes.waitFor(writes, now),
				this.requests.waitFor(total, now),
			);
			if (wait <= 0) return;
			await sleep(wait);
		}
	}

	private recover(now: number): void {
		if (
			this.writes.limit < this.settings.writesPerWindow &&
			now - this.lastThrottleAt >= this.settings.windowMs
		) {
			this.writes.limit = Math.min(
				this.settings.writesPerWindow,
				this.writes.limit + Math.ceil(this.settings.writesPerWindow / 10),
			);
			this.lastThrottleAt = now;
		}
	}
}
