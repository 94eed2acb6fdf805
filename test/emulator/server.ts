// HTTP(S) listeners and top-level routing: /_emulator control API, Graph (/v1.0, /beta) and the
// identity platform (/{tenant}/...). Both listeners share one EmulatorState.
import {
	createServer as createHttpServer,
	type IncomingMessage,
	type Server,
	type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { handleControl, isControlPath } from './control.ts';
import { dispatchGraph, isGraphPath } from './graph.ts';
import { delay, json, lowerHeaders, parseJsonBody, readBody, writeResponse } from './httpUtil.ts';
import { handleIdentity, isIdentityPath } from './identity.ts';
import type { EmulatorState } from './state.ts';
import type { GraphResponse } from './types.ts';

export interface ListenerUrls {
	httpUrl: string;
	httpsUrl?: string;
}

export function createRequestHandler(
	state: EmulatorState,
	scheme: 'http' | 'https',
	urls: ListenerUrls,
) {
	return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
		try {
			const bodyText = await readBody(req);
			const fallback = new URL(scheme === 'https' ? urls.httpsUrl! : urls.httpUrl).host;
			const origin = `${scheme}://${req.headers.host ?? fallback}`;
			const rawPath = req.url ?? '/';
			const url = new URL(`${origin}${rawPath.startsWith('/') ? '' : '/'}${rawPath}`);
			const method = (req.method ?? 'GET').toUpperCase();
			const headers = lowerHeaders(req.headers);

			// The control API is not part of the emulated services: no latency, no logging.
			if (isControlPath(url.pathname)) {
				writeResponse(
					res,
					handleControl(
						state,
						{ method, pathname: url.pathname, search: url.searchParams, bodyText },
						urls,
					),
				);
				return;
			}
			let out: GraphResponse;
			if (isGraphPath(url.pathname)) {
				const parsed = parseJsonBody(bodyText);
				out = dispatchGraph(state, {
					method,
					path: rawPath,
					headers,
					body: parsed.body,
					bodyInvalid: parsed.invalid,
					inBatch: false,
					origin,
				});
			} else if (isIdentityPath(url.pathname)) {
				out = handleIdentity(state, {
					method,
					pathname: url.pathname,
					search: url.searchParams,
					headers,
					bodyText,
					origin,
				});
			} else {
				out = json(404, {
					error: {
						code: 'NotFound',
						message: `The emulator serves /v1.0, /beta, /{tenant}/oauth2/v2.0/... and /_emulator/...; nothing at '${url.pathname}'.`,
					},
				});
			}
			await delay(state.config.latencyMs);
			writeResponse(res, out);
		} catch (e) {
			if (!res.headersSent)
				writeResponse(
					res,
					json(500, {
						error: { code: 'EmulatorError', message: String((e as Error)?.stack ?? e) },
					}),
				);
			else res.destroy();
		}
	};
}

export interface Listener {
	port: number;
	close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function listenOn(server: Server, port: number, host: string): Promise<number> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve((server.address() as AddressInfo).port);
		});
	});
}

/**
 * Listens on 127.0.0.1 and, when the machine has IPv6 loopback, on [::1] with the same port, so
 * that "localhost" works whichever address a client resolves it to.
 */
export async function listen(
	handler: Handler,
	port: number,
	tls?: { key: string; cert: string },
): Promise<Listener> {
	const make = () => (tls ? createHttpsServer(tls, handler) : createHttpServer(handler));
	const servers: Server[] = [make()];
	const actualPort = await listenOn(servers[0], port, '127.0.0.1');
	const v6 = make();
	try {
		await listenOn(v6, actualPort, '::1');
		servers.push(v6);
	} catch {
		// no IPv6 loopback here (or the port is taken on it): 127.0.0.1 alone is fine
	}
	return {
		port: actualPort,
		close: async () => {
			await Promise.all(
				servers.map(
					(s) =>
						new Promise<void>((resolve) => {
							s.closeAllConnections();
							s.close(() => resolve());
						}),
				),
			);
		},
	};
}
