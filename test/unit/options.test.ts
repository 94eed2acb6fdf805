import { MAX_BATCH_SIZE } from '../../nodes/MicrosoftIntune/graph/batch';
import { DEFAULT_EXECUTOR_SETTINGS } from '../../nodes/MicrosoftIntune/graph/executor';
import { INTUNE_LIMITS } from '../../nodes/MicrosoftIntune/graph/pacer';
import { deliveryOptions } from '../../nodes/MicrosoftIntune/shared/options';

describe('delivery options', () => {
	it('show the defaults the executor and the pacer use (n8n lint wants literals there)', () => {
		const defaults = Object.fromEntries(
			deliveryOptions.map((option) => [option.name, option.default]),
		);
		expect(defaults).toEqual({
			batching: DEFAULT_EXECUTOR_SETTINGS.batching,
			batchSize: MAX_BATCH_SIZE,
			concurrency: DEFAULT_EXECUTOR_SETTINGS.concurrency,
			writesPerWindow: INTUNE_LIMITS.writesPerWindow,
			windowSeconds: INTUNE_LIMITS.windowMs / 1000,
			maxRetries: DEFAULT_EXECUTOR_SETTINGS.maxRetries,
			maxTotalWaitSeconds: DEFAULT_EXECUTOR_SETTINGS.maxTotalWaitMs / 1000,
		});
	});
});
