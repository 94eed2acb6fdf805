// Control API under /_emulator for tests that drive the emulator over HTTP (end-to-end tests of a real n8n).
import { json, parseJsonBody } from './httpUtil.ts';
import type { EmulatorState } from './state.ts';
import type { GraphResponse } from './types.ts';

export const CONTROL_PREFIX = '/_emulator/';

export interface ControlRequest {
	method: string;
	pathname: string;
	search: URLSearchParams;
	bodyText: string;
}

export function isControlPath(pathname: string): boolean {
	return pathname.startsWith(CONTROL_PREFIX);
}

export function dataSnapshot(state: EmulatorState) {
	return {
		policies: state.data.policies,
		userStatuses: Object.fromEntries(state.data.userStatuses),
	};
}

export function stateSnapshot(state: EmulatorState, urls: { httpUrl: string; httpsUrl?: string }) {
	let statuses = 0;
	for (const list of state.data.userStatuses.values()) statuses += list.length;
	return {
		...urls,
		tenantId: state.tenantId,
		tenantDomain: state.tenantDomain,
		config: state.config,
		counts: {
			policies: state.data.policies.length,
			userStatuses: statuses,
			requests: state.requests.length,
			tokenRequests: state.tokenRequests.length,
			pendingFaults: state.faults.pending,
			apps: state.apps.size,
		},
	};
}

function since(search: URLSearchParams): number {
	const n = Number(search.get('since') ?? 0);
	return Number.isInteger(n) && n >= 0 ? n : 0;
}

export function handleControl(
	state: EmulatorState,
	req: ControlRequest,
	urls: { httpUrl: string; httpsUrl?: string },
): GraphResponse {
	const route = `${req.method} ${req.pathname.slice(CONTROL_PREFIX.length).replace(/\/+$/, '')}`;
	const parsed = parseJsonBody(req.bodyText);
	if (parsed.invalid) return json(400, { error: 'The body is not valid JSON.' });
	const body = parsed.body;
	try {
		switch (route) {
			case 'GET state':
				return json(200, stateSnapshot(state, urls));
			case 'POST config':
				if (!body || typeof body !== 'object' || Array.isArray(body))
					return json(400, { error: 'Send a JSON object to merge into the config.' });
				state.configure(body as object);
				return json(200, state.config);
			case 'POST reset':
				state.reset();
				return json(200, { ok: true });
			case 'POST expire-tokens':
				state.tokens.expireAll();
				return json(200, { ok: true });
			case 'POST faults': {
				const faults = Array.isArray(body) ? body : body ? [body] : [];
				state.faults.add(...faults);
				return json(200, { ok: true, pendingFaults: state.faults.pending });
			}
			case 'GET requests': {
				const from = since(req.search);
				return json(200, { requests: state.requests.slice(from), next: state.requests.length });
			}
			case 'GET token-requests': {
				const from = since(req.search);
				return json(200, {
					tokenRequests: state.tokenRequests.slice(from),
					next: state.tokenRequests.length,
				});
			}
			case 'GET data':
				return json(200, dataSnapshot(state));
			case 'POST apps':
				state.registerApp(body as never);
				return json(200, { ok: true });
			default:
				return json(404, { error: `Unknown control endpoint '${req.method} ${req.pathname}'.` });
		}
	} catch (e) {
		return json(400, { error: (e as Error).message });
	}
}
