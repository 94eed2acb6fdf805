import type { IDataObject, INode } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { ExecutorSettings, Outcome } from './executor';
import { DEFAULT_EXECUTOR_SETTINGS, GraphExecutor } from './executor';
import type { PacerSettings } from './pacer';
import { INTUNE_LIMITS, Pacer } from './pacer';
import type { ApiVersion, GraphRequest } from './request';
import type { GraphFunctions, GraphTransport } from './transport';
import { createTransport } from './transport';

export interface GraphPage {
	items: IDataObject[];
	/** The next page, already checked to be on the Graph origin. */
	next?: GraphRequest;
}

/**
 * What operations use to talk to Graph: `run` for per-item requests (batched, paced, retried) and
 * `page`/`list` for collections (the same pacing and retries, one page at a time).
 */
export class GraphClient {
	private readonly executor: GraphExecutor;

	constructor(
		private readonly node: INode,
		private readonly transport: GraphTransport,
		settings: ExecutorSettings,
		pacerSettings: PacerSettings,
	) {
		this.executor = new GraphExecutor(node, transport, new Pacer(pacerSettings), settings);
	}

	static async create(
		fn: GraphFunctions,
		settings: Partial<ExecutorSettings> = {},
		pacerSettings: Partial<PacerSettings> = {},
	): Promise<GraphClient> {
		return new GraphClient(
			fn.getNode(),
			await createTransport(fn),
			{ ...DEFAULT_EXECUTOR_SETTINGS, ...settings },
			{ ...INTUNE_LIMITS, ...pacerSettings },
		);
	}

	get graphBaseUrl(): string {
		return this.transport.graphBaseUrl;
	}

	async run(requests: Array<GraphRequest | undefined>): Promise<Array<Outcome | undefined>> {
		return await this.executor.run(requests);
	}

	/** One page of a collection; errors carry `itemIndex`. */
	async page(request: GraphRequest, itemIndex = 0): Promise<GraphPage> {
		const [outcome] = await this.executor.run([request]);
		if (!outcome!.ok) {
			outcome!.error.context.itemIndex = itemIndex;
			throw outcome!.error;
		}
		const body = outcome!.answer.body as
			| { value?: unknown; '@odata.nextLink'?: unknown }
			| undefined;
		if (!body || !Array.isArray(body.value)) {
			throw new NodeApiError(this.node, { body: null } as never, {
				message: 'Microsoft Graph answered a list request without a "value" array',
				itemIndex,
			});
		}
		const link = body['@odata.nextLink'];
		return {
			items: body.value as IDataObject[],
			next: typeof link === 'string' && link ? this.nextLinkRequest(link, itemIndex) : undefined,
		};
	}

	/** Every entity of a collection, following next links, stopping as soon as `limit` are read. */
	async list(
		request: GraphRequest,
		limit: number | undefined,
		itemIndex = 0,
	): Promise<IDataObject[]> {
		const items: IDataObject[] = [];
		let next: GraphRequest | undefined = request;
		while (next) {
			const page: GraphPage = await this.page(next, itemIndex);
			for (const item of page.items) {
				items.push(item);
				if (limit !== undefined && items.length >= limit) return items;
			}
			next = page.next;
		}
		return items;
	}

	/**
	 * Turns an `@odata.nextLink` into a request, only if it points at the credential's Graph origin and
	 * base path: a link elsewhere would carry the token to another host, so it is refused.
	 */
	nextLinkRequest(link: string, itemIndex = 0): GraphRequest {
		const base = new URL(this.transport.graphBaseUrl);
		let url: URL | undefined;
		try {
			url = new URL(link);
		} catch {
			url = undefined;
		}
		const basePath = base.pathname.replace(/\/+$/, '');
		const match =
			url && url.origin === base.origin
				? /^\/(v1\.0|beta)(\/.*)$/.exec(url.pathname.slice(basePath.length))
				: null;
		if (!url || !match || !url.pathname.startsWith(`${basePath}/`)) {
			throw new NodeApiError(this.node, { link: null } as never, {
				message: `Refused to follow a next link to ${url ? url.host : 'an invalid URL'}: it is not the Graph origin ${base.host}`,
				description:
					'Graph returned an @odata.nextLink outside the Graph API of this credential. It was not followed and no token was sent there.',
				itemIndex,
			});
		}
		return {
			method: 'GET',
			apiVersion: match[1] as ApiVersion,
			path: `${match[2]}${url.search}`,
		};
	}
}
