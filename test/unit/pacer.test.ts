import { Pacer } from '../../nodes/MicrosoftIntune/graph/pacer';

/** A clock the test moves by hand; the pacer sleeps for real only when it must wait, so waits here stay short. */
function manualClock(start = 1_000_000) {
	let now = start;
	return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('Pacer', () => {
	it('lets a full budget through at once, then holds writes until a window after the first ones finished', async () => {
		const clock = manualClock();
		const pacer = new Pacer(
			{ writesPerWindow: 10, requestsPerWindow: 1000, windowMs: 50 },
			clock.now,
		);
		const permits = [];
		for (let i = 0; i < 10; i++) permits.push(await pacer.acquire(1, 1));
		permits.forEach((permit) => permit.release());

		let acquired = false;
		const next = pacer.acquire(1, 1).then(() => (acquired = true));
		await new Promise((resolve) => setImmediate(resolve));
		expect(acquired).toBe(false);
		clock.advance(50);
		await next;
		expect(acquired).toBe(true);
	});

	it('counts reads against the request budget only', async () => {
		const clock = manualClock();
		const pacer = new Pacer(
			{ writesPerWindow: 1, requestsPerWindow: 100, windowMs: 60000 },
			clock.now,
		);
		await pacer.acquire(1, 1);
		const started = Date.now();
		for (let i = 0; i < 20; i++) await pacer.acquire(0, 1);
		expect(Date.now() - started).toBeLessThan(1000);
	});

	it('pauses after a 429 for its Retry-After and lowers the write budget by a tenth, to half at most', async () => {
		const clock = manualClock();
		const pacer = new Pacer(
			{ writesPerWindow: 100, requestsPerWindow: 1000, windowMs: 1000 },
			clock.now,
		);
		for (let i = 0; i < 5; i++) (await pacer.acquire(1, 1)).release();
		pacer.throttled(30, true);
		expect(pacer.maxWritesPerRequest).toBe(90);
		for (let i = 0; i < 20; i++) pacer.throttled(30, true);
		expect(pacer.maxWritesPerRequest).toBe(50);

		let acquired = false;
		const next = pacer.acquire(0, 1).then(() => (acquired = true));
		await new Promise((resolve) => setImmediate(resolve));
		expect(acquired).toBe(false);
		clock.advance(30);
		await next;
		expect(acquired).toBe(true);
	});

	it('gives the budget back after a quiet window', async () => {
		const clock = manualClock();
		const pacer = new Pacer(
			{ writesPerWindow: 100, requestsPerWindow: 1000, windowMs: 1000 },
			clock.now,
		);
		(await pacer.acquire(1, 1)).release();
		for (let i = 0; i < 20; i++) pacer.throttled(0, true);
		expect(pacer.maxWritesPerRequest).toBe(50);
		clock.advance(1000);
		(await pacer.acquire(0, 1)).release();
		expect(pacer.maxWritesPerRequest).toBe(60);
	});
});
