// A "foreign origin" for tests of hostile next links: answers 200 {"value":[]} to anything and records it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lowerHeaders, readBody } from './httpUtil.ts';

export interface RecordedRequest {
	method: string;
	path: string;
	headers: Record<string, string | undefined>;
	body?: string;
}

export interface Recorder {
	url: string;
	requests: RecordedRequest[];
	close(): Promise<void>;
}

export async function startRecorder(): Promise<Recorder> {
	const requests: RecordedRequest[] = [];
	const server = createServer(async (req, res) => {
		const body = await readBody(req).catch(() => '');
		requests.push({
			method: req.method ?? 'GET',
			path: req.url ?? '/',
			headers: lowerHeaders(req.headers),
			...(body ? { body } : {}),
		});
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end('{"value":[]}');
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
