// Sliding-window request budgets per client id, modelled on Intune's device-configuration limits.
import type { ThrottleConfig } from './types.ts';

export const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type ThrottleDecision =
	| { allowed: true }
	| { allowed: false; retryAfterMs: number; budget: 'write' | 'request'; limit: number };

export class Throttle {
	/** clientId → times of accepted requests / of accepted writes (ascending). */
	private requests = new Map<string, number[]>();
	private writes = new Map<string, number[]>();

	clear(): void {
		this.requests.clear();
		this.writes.clear();
	}

	/** Admits the request (recording it) or says how long until a slot frees. Rejected requests use no budget. */
	admit(
		config: ThrottleConfig,
		clientId: string,
		method: string,
		now = Date.now(),
	): ThrottleDecision {
		if (!config.enabled) return { allowed: true };
		const isWrite = WRITE_METHODS.has(method.toUpperCase());
		const all = this.window(this.requests, clientId, config.windowMs, now);
		const writes = this.window(this.writes, clientId, config.windowMs, now);
		let denied: ThrottleDecision = { allowed: true };
		const consider = (times: number[], limit: number, budget: 'write' | 'request') => {
			if (times.length < limit) return;
			// The slot frees when enough of the oldest entries have left the window.
			const freeing = times[Math.max(0, times.length - limit)] ?? now;
			const retryAfterMs = Math.max(1, freeing + config.windowMs - now);
			if (denied.allowed || retryAfterMs > denied.retryAfterMs)
				denied = { allowed: false, retryAfterMs, budget, limit };
		};
		consider(all, config.requestsPerWindow, 'request');
		if (isWrite) consider(writes, config.writesPerWindow, 'write');
		if (!denied.allowed) return denied;
		all.push(now);
		if (isWrite) writes.push(now);
		return { allowed: true };
	}

	private window(
		store: Map<string, number[]>,
		clientId: string,
		windowMs: number,
		now: number,
	): number[] {
		const times = store.get(clientId) ?? [];
		const firstInside = times.findIndex((t) => t > now - windowMs);
		const kept = firstInside < 0 ? [] : times.slice(firstInside);
		store.set(clientId, kept);
		return kept;
	}
}

/** The Retry-After header value for a throttled response, per the configured style. */
export function retryAfterHeader(
	mode: ThrottleConfig['retryAfter'],
	retryAfterMs: number,
): Record<string, string> {
	if (mode === 'none') return {};
	if (mode === 'decimal') return { 'Retry-After': (Math.max(1, retryAfterMs) / 1000).toFixed(3) };
	return { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) };
}
