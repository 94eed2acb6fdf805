/**
 * Test harness that runs a community package's nodes through n8n's own execution engine.
 *
 * - Nodes and credentials are loaded from the built package (`package.json` → `n8n.nodes` / `n8n.credentials`)
 *   by n8n-core's LazyPackageDirectoryLoader, the loader n8n uses for installed community packages.
 * - A workflow `Input → <node under test>` runs through n8n-core's `WorkflowExecute` (the items are pinned on
 *   `Input`, as when a user pins data in the editor), so `$json`, `$('Input')`, pairedItem, `onError` and the
 *   error handling are n8n's.
 * - Credentials go through a credentials helper that ports the parts of n8n's CLI `CredentialsHelper` a node can
 *   observe: defaults and `$self` expressions of credential fields, generic `authenticate`, `preAuthentication`
 *   with its expirable field, parent types (`extends`), storage of refreshed OAuth2 tokens.
 *
 * The file is plain erasable TypeScript, so Node (24+) can import it directly as well as ts-jest.
 *
 * n8n's runtime packages are loaded with `createRequire`, never with `import`: under Node's native ESM an
 * `import 'n8n-workflow'` resolves to its ESM build while n8n-core and the package's nodes `require` the CJS
 * build, which would give two copies of every class (instanceof checks, static expression-engine state). And
 * `@n8n/di` is loaded from n8n-core's own dependency tree, because this repository has another copy of it whose
 * Container is a different registry.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type {
	ExecutionError,
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialsEncrypted,
	ICredentialsExpressionResolveValues,
	ICredentialTestFunction,
	ICredentialTestRequestData,
	ICredentialType,
	ICredentialTypes,
	IDataObject,
	IExecuteData,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeListSearchResult,
	INodeParameters,
	INodeProperties,
	INodePropertyOptions,
	INodeType,
	INodeTypes,
	IRequestOptionsSimplified,
	IRun,
	IVersionedNodeType,
	IWorkflowBase,
	IWorkflowDataProxyAdditionalKeys,
	IWorkflowExecuteAdditionalData,
	Workflow,
	WorkflowExecuteMode,
} from 'n8n-workflow';

type WorkflowLib = typeof import('n8n-workflow');
type CoreLib = typeof import('n8n-core');
type DiLib = typeof import('@n8n/di');
type ConfigLib = typeof import('@n8n/config');

// ---------------------------------------------------------------------------------------------------------------
// Runtime modules

/** Path of this file, in CommonJS (ts-jest) and in native ESM (Node's type stripping). */
function thisFile(): string {
	if (typeof __filename === 'string') return __filename;
	const original = Error.prepareStackTrace;
	try {
		Error.prepareStackTrace = (_error, callSites) => callSites;
		const callSites = new Error().stack as unknown as NodeJS.CallSite[];
		const fileName = callSites[0].getFileName() ?? '';
		return fileName.startsWith('file:') ? fileURLToPath(fileName) : fileName;
	} finally {
		Error.prepareStackTrace = original;
	}
}

const HARNESS_FILE = thisFile();
const requireHere = createRequire(HARNESS_FILE);
const wf = requireHere('n8n-workflow') as WorkflowLib;
const core = requireHere('n8n-core') as CoreLib;
const requireFromCore = createRequire(requireHere.resolve('n8n-core'));
const { Container } = requireFromCore('@n8n/di') as DiLib;

let instanceFolder: string | undefined;

/**
 * Every node execution context asks the Container for InstanceSettings, whose constructor creates
 * `$N8N_USER_FOLDER/.n8n/config` (default: the home directory) with a new encryption key. Point it at a
 * temporary folder instead (removed by IntuneHarness.close() or at exit), unless N8N_USER_FOLDER says where.
 */
function isolateInstanceFolder(): void {
	if (process.env.N8N_USER_FOLDER || instanceFolder) return;
	const { InstanceSettingsConfig } = requireFromCore('@n8n/config') as ConfigLib;
	const userHome = mkdtempSync(path.join(tmpdir(), 'n8n-harness-'));
	instanceFolder = userHome;
	// With a key given, InstanceSettings does not log that it generated one
	const config = Object.assign(new InstanceSettingsConfig(), {
		userHome,
		n8nFolder: path.join(userHome, '.n8n'),
		encryptionKey: randomBytes(24).toString('base64'),
	});
	Container.set(InstanceSettingsConfig, config);
	process.once('exit', () => rmSync(userHome, { recursive: true, force: true }));
}

/**
 * n8n's Logger (which also backs LoggerProxy) logs at 'info' by default, and n8n-core's ErrorReporter logs every
 * node error with its stack at 'error'. Quiet unless N8N_LOG_LEVEL asks otherwise (e.g. N8N_LOG_LEVEL=debug).
 */
function quietLogger(): void {
	if (process.env.N8N_LOG_LEVEL) return;
	const { GlobalConfig } = requireFromCore('@n8n/config') as ConfigLib;
	Container.get(GlobalConfig).logging.level = 'silent';
}
quietLogger();

/** The n8n modules the harness runs on (the very copies its nodes see), for `instanceof` checks in tests. */
export const n8n = { workflow: wf, core, Container };

// ---------------------------------------------------------------------------------------------------------------
// Public types

export interface CredentialRecord {
	id: string;
	name: string;
	type: string;
	/** The stored (raw) data. The harness replaces it when n8n stores data (refreshed tokens, preAuthentication). */
	data: ICredentialDataDecryptedObject;
}

export type OnError = 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';

export interface RunNodeOptions {
	/** Default: `n8n-nodes-microsoft-intune.microsoftIntune`, or the package's only node. */
	nodeType?: string;
	/** The node's parameters as a saved workflow holds them; defaults are filled by n8n's `Workflow`. */
	parameters: INodeParameters;
	/** Attached to the node under `credential.type`, and stored in the harness (replacing a record with its id). */
	credential?: CredentialRecord;
	/** Input items of the node, pinned on the `Input` node. */
	items: IDataObject[] | INodeExecutionData[];
	onError?: OnError;
	/** Default 1. */
	typeVersion?: number;
	/** Default: the node type's `defaults.name`. */
	nodeName?: string;
	/** Default 'manual' (a run from the editor, as in n8n's own node tests); 'trigger' is a production run. */
	mode?: WorkflowExecuteMode;
}

export interface RunNodeResult {
	/** IRun.status: 'success', 'error', ... */
	status: string;
	/** The node's main output 0, empty if it failed. */
	items: INodeExecutionData[];
	/** All main outputs of the node (output 1 is the error output with onError 'continueErrorOutput'). */
	outputs: INodeExecutionData[][];
	/**
	 * resultData.error: the node's error when the workflow failed. WorkflowExecute stores `{ ...error, message, stack }`,
	 * a plain object: `name` says the class ('NodeApiError', 'NodeOperationError'), `cause` is not kept.
	 */
	error?: ExecutionError;
	run: IRun;
}

export interface CallMethodOptions {
	parameters: INodeParameters;
	credential: CredentialRecord;
	nodeType?: string;
	typeVersion?: number;
	/** Path of the parameter being loaded, as the editor sends it (e.g. 'parameters.policy'). */
	path?: string;
}

export interface HarnessOptions {
	/** Directory of the package to load. Default: this repository's root. */
	packageDir?: string;
	/**
	 * Expression engine, a process-wide setting of n8n-workflow that the first harness applies.
	 * Default: N8N_EXPRESSION_ENGINE, else 'vm' (isolated-vm), n8n's own default.
	 */
	expressionEngine?: 'vm' | 'legacy';
}

export const DEFAULT_NODE_TYPE = 'n8n-nodes-microsoft-intune.microsoftIntune';
export const INPUT_NODE_NAME = 'Input';
const INPUT_NODE_TYPE = 'n8n-nodes-harness.input';
const NO_OP_NODE_TYPE = 'n8n-nodes-base.noOp';

// ---------------------------------------------------------------------------------------------------------------
// Types that n8n itself provides (nodes-base), defined here

/** n8n's base OAuth2 credential (packages/nodes-base/credentials/OAuth2Api.credentials.ts), for `extends`. */
const OAUTH2_API: ICredentialType = {
	name: 'oAuth2Api',
	displayName: 'OAuth2 API',
	documentationUrl: 'httprequest',
	genericAuth: true,
	properties: [
		{
			displayName: 'Use Dynamic Client Registration',
			name: 'useDynamicClientRegistration',
			type: 'hidden',
			default: false,
		},
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'options',
			displayOptions: { show: { useDynamicClientRegistration: [false] } },
			options: [
				{ name: 'Authorization Code', value: 'authorizationCode' },
				{ name: 'Client Credentials', value: 'clientCredentials' },
				{ name: 'PKCE', value: 'pkce' },
			],
			default: 'authorizationCode',
		},
		{
			displayName: 'Server URL',
			name: 'serverUrl',
			type: 'string',
			displayOptions: { show: { useDynamicClientRegistration: [true] } },
			default: '',
			required: true,
		},
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'string',
			displayOptions: {
				show: { grantType: ['authorizationCode', 'pkce'], useDynamicClientRegistration: [false] },
			},
			default: '',
			required: true,
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'string',
			displayOptions: { show: { useDynamicClientRegistration: [false] } },
			default: '',
			required: true,
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			displayOptions: { show: { useDynamicClientRegistration: [false] } },
			default: '',
			required: true,
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			displayOptions: { show: { useDynamicClientRegistration: [false] } },
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'string',
			displayOptions: { show: { useDynamicClientRegistration: [false] } },
			default: '',
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'string',
			displayOptions: {
				show: { grantType: ['authorizationCode', 'pkce'], useDynamicClientRegistration: [false] },
			},
			default: '',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			displayOptions: { show: { useDynamicClientRegistration: [false] } },
			options: [
				{ name: 'Body', value: 'body', description: 'Send credentials in body' },
				{ name: 'Header', value: 'header', description: 'Send credentials as Basic Auth header' },
			],
			default: 'header',
		},
		{
			displayName: 'Send Additional Body Properties',
			name: 'sendAdditionalBodyProperties',
			type: 'boolean',
			default: false,
			displayOptions: {
				show: {
					grantType: ['clientCredentials'],
					authentication: ['body'],
					useDynamicClientRegistration: [false],
				},
			},
		},
		{
			displayName: 'Additional Body Properties',
			name: 'additionalBodyProperties',
			type: 'json',
			typeOptions: { rows: 5 },
			displayOptions: {
				show: {
					grantType: ['clientCredentials'],
					authentication: ['body'],
					sendAdditionalBodyProperties: [true],
					useDynamicClientRegistration: [false],
				},
			},
			default: '',
		},
		{
			displayName: 'Ignore SSL Issues (Insecure)',
			name: 'ignoreSSLIssues',
			type: 'boolean',
			default: false,
			doNotInherit: true,
		},
		{
			displayName: 'Token Expired Status Code',
			name: 'tokenExpiredStatusCode',
			type: 'number',
			default: 401,
			doNotInherit: true,
		},
		{
			displayName: 'JWE Token Decryption',
			name: 'jweEnabled',
			type: 'boolean',
			default: false,
			doNotInherit: true,
		},
		{
			displayName: 'Key Encryption Algorithm',
			name: 'jweAlgorithm',
			type: 'options',
			displayOptions: { show: { jweEnabled: [true] } },
			options: ['RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A256KW'].map(
				(value) => ({ name: value, value }),
			),
			default: 'RSA-OAEP',
		},
		{
			displayName: 'Content Encryption Algorithm',
			name: 'jweEncryption',
			type: 'options',
			displayOptions: { show: { jweEnabled: [true] } },
			options: ['A128GCM', 'A256GCM', 'A128CBC-HS256', 'A256CBC-HS512'].map((value) => ({
				name: value,
				value,
			})),
			default: 'A256GCM',
		},
		{
			displayName: 'JWE Private Key',
			name: 'jwePrivateKey',
			type: 'hidden',
			typeOptions: { password: true },
			default: '',
			noDataExpression: true,
		},
		{
			displayName: 'JWE Public Key',
			name: 'jwePublicKey',
			type: 'string',
			typeOptions: { readOnly: true },
			displayOptions: { show: { jweEnabled: [true] } },
			default: '',
			noDataExpression: true,
		},
	],
};

/** The node that holds the input items (pinned). Never executes: pinned nodes return their pin data. */
const INPUT_NODE: INodeType = {
	description: {
		displayName: 'Input',
		name: 'input',
		group: ['input'],
		version: 1,
		description: 'Holds the input items of the node under test',
		defaults: { name: INPUT_NODE_NAME },
		inputs: ['main'],
		outputs: ['main'],
		properties: [],
	},
	async execute() {
		return [this.getInputData()];
	},
};

/** n8n's NoOp node, which the credentials tester runs its test request on. */
const NO_OP_NODE: INodeType = {
	description: {
		displayName: 'No Operation, do nothing',
		name: 'noOp',
		group: ['organization'],
		version: 1,
		description: 'No Operation',
		defaults: { name: 'No Operation, do nothing' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [],
	},
	async execute() {
		return [this.getInputData()];
	},
};

/** The node types of the mock workflow n8n resolves credential expressions in. */
const MOCK_NODE_TYPES: INodeTypes = {
	getByName: () => ({ description: { properties: [] } }) as unknown as INodeType,
	getByNameAndVersion: () => ({ description: { properties: [] } }) as unknown as INodeType,
	getKnownTypes: () => ({}),
};

const MOCK_NODE: INode = {
	id: 'mock',
	name: '',
	typeVersion: 1,
	type: 'mock',
	position: [0, 0],
	parameters: {},
};

// ---------------------------------------------------------------------------------------------------------------
// Registries over the loaded package

type PackageLoader = InstanceType<CoreLib['LazyPackageDirectoryLoader']>;

class HarnessNodeTypes implements INodeTypes {
	private readonly loader: PackageLoader;
	private readonly extra: Record<string, INodeType>;

	constructor(loader: PackageLoader, extra: Record<string, INodeType>) {
		this.loader = loader;
		this.extra = extra;
	}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		if (nodeType in this.extra) return this.extra[nodeType];
		const lastDot = nodeType.lastIndexOf('.');
		const packageName = nodeType.slice(0, lastDot);
		const name = nodeType.slice(lastDot + 1);
		if (packageName !== this.loader.packageName)
			throw new core.UnrecognizedNodeTypeError(packageName, name);
		return this.loader.getNode(name).type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		const versioned = wf.NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
		// n8n's CLI NodeTypes gives declarative nodes an `execute` that runs the RoutingNode.
		if (isDeclarativeWithoutExecute(versioned)) {
			versioned.execute = async function (this: InstanceType<CoreLib['ExecuteContext']>) {
				const routingNode = new core.RoutingNode(this, versioned);
				return (await routingNode.runNode()) ?? [];
			};
		}
		return versioned;
	}

	getKnownTypes(): IDataObject {
		const known: IDataObject = {};
		for (const [name, info] of Object.entries(this.loader.known.nodes)) {
			known[`${this.loader.packageName}.${name}`] = { ...info };
		}
		return known;
	}

	nodeTypeNames(): string[] {
		return Object.keys(this.loader.known.nodes).map((name) => `${this.loader.packageName}.${name}`);
	}
}

function isDeclarativeWithoutExecute(nodeType: INodeType): boolean {
	return (
		nodeType.description.requestDefaults !== undefined &&
		!nodeType.execute &&
		!nodeType.poll &&
		!nodeType.trigger &&
		!nodeType.webhook
	);
}

class HarnessCredentialTypes implements ICredentialTypes {
	private readonly loader: PackageLoader;
	private readonly base: Record<string, ICredentialType>;

	constructor(loader: PackageLoader, base: ICredentialType[]) {
		this.loader = loader;
		this.base = Object.fromEntries(base.map((type) => [type.name, type]));
	}

	recognizes(type: string): boolean {
		return type in this.base || type in this.loader.known.credentials;
	}

	getByName(type: string): ICredentialType {
		if (type in this.base) return this.base[type];
		return this.loader.getCredential(type).type;
	}

	/** Full node type names, as n8n's LoadNodesAndCredentials stores them. */
	getSupportedNodes(type: string): string[] {
		const supported = this.loader.known.credentials[type]?.supportedNodes ?? [];
		return supported.map((name) => `${this.loader.packageName}.${name}`);
	}

	getParentTypes(type: string): string[] {
		const extendsArr = this.recognizes(type) ? (this.getByName(type).extends ?? []) : [];
		const parents = [...extendsArr];
		for (const parent of extendsArr) parents.push(...this.getParentTypes(parent));
		return parents;
	}
}

// ---------------------------------------------------------------------------------------------------------------
// Credentials: storage and helper

/** A stored credential (n8n's `Credentials`, without the encryption): reads and writes the record's data. */
class StoredCredentials extends wf.ICredentials {
	private readonly record: CredentialRecord;

	constructor(record: CredentialRecord) {
		super({ id: record.id, name: record.name }, record.type);
		this.record = record;
	}

	async getData(): Promise<ICredentialDataDecryptedObject> {
		return wf.deepCopy(this.record.data);
	}

	getDataToSave(): ICredentialsEncrypted {
		return {
			id: this.id,
			name: this.name,
			type: this.type,
			data: JSON.stringify(this.record.data),
		};
	}

	async setData(data: ICredentialDataDecryptedObject): Promise<void> {
		this.record.data = wf.deepCopy(data);
	}

	async updateData(
		toUpdate: Partial<ICredentialDataDecryptedObject>,
		toDelete: Array<keyof ICredentialDataDecryptedObject> = [],
	): Promise<void> {
		const data = {
			...this.record.data,
			...wf.deepCopy(toUpdate),
		} as ICredentialDataDecryptedObject;
		for (const key of toDelete) delete data[key];
		this.record.data = data;
	}
}

/**
 * Port of n8n's CLI CredentialsHelper (packages/cli/src/credentials-helper.ts) over in-memory records, without
 * what a community node cannot observe (overwrites, external secrets, dynamic credentials, DB).
 */
class HarnessCredentialsHelper extends wf.ICredentialsHelper {
	readonly records = new Map<string, CredentialRecord>();
	private readonly credentialTypes: HarnessCredentialTypes;

	constructor(credentialTypes: HarnessCredentialTypes) {
		super();
		this.credentialTypes = credentialTypes;
	}

	getParentTypes(name: string): string[] {
		return this.credentialTypes.getParentTypes(name);
	}

	isCredentialUsableByNode(credentialType: string, nodeType: string): boolean {
		if (!this.credentialTypes.recognizes(credentialType)) return true;
		const typeDef = this.credentialTypes.getByName(credentialType);
		if (!typeDef.restrictToSupportedNodes) return true;
		return this.credentialTypes.getSupportedNodes(credentialType).includes(nodeType);
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const { authenticate } = this.credentialTypes.getByName(typeName);
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions as IHttpRequestOptions);
		}
		if (typeof authenticate === 'object') {
			if (!workflow || !node) {
				throw new wf.UnexpectedError(
					'Workflow and node are required for declarative credential authentication',
				);
			}
			requestOptions.headers ??= {};
			if (authenticate.type === 'generic') {
				const target = requestOptions as unknown as Record<string, Record<string, string>>;
				for (const [outerKey, outerValue] of Object.entries(authenticate.properties)) {
					for (const [key, value] of Object.entries(outerValue as Record<string, string>)) {
						const keyResolved = this.resolveValue(
							key,
							{ $credentials: credentials },
							workflow,
							node,
						);
						const valueResolved = this.resolveValue(
							value,
							{ $credentials: credentials },
							workflow,
							node,
						);
						target[outerKey] ??= {};
						target[outerKey][keyResolved] = valueResolved;
					}
				}
			}
		}
		return requestOptions as IHttpRequestOptions;
	}

	private resolveValue(
		parameterValue: string,
		additionalKeys: IWorkflowDataProxyAdditionalKeys,
		workflow: Workflow,
		node: INode,
	): string {
		if (!wf.isExpression(parameterValue)) return parameterValue;
		const value = workflow.expression.getSimpleParameterValue(
			node,
			parameterValue,
			'internal',
			additionalKeys,
			undefined,
			'',
		);
		return value ? value.toString() : '';
	}

	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const credentialType = this.credentialTypes.getByName(typeName);
		const expirableProperty = credentialType.properties.find(
			(property) => property.type === 'hidden' && property.typeOptions?.expirable === true,
		);
		if (expirableProperty?.name === undefined) return undefined;

		// The credentials tester's temporary node
		const isTestingCredentials = node?.parameters?.temp === '' && node?.type === NO_OP_NODE_TYPE;

		if (typeof credentialType.preAuthentication !== 'function') return undefined;
		if (credentials[expirableProperty.name] !== '' && !credentialsExpired && !isTestingCredentials)
			return undefined;

		const output = await credentialType.preAuthentication.call(
			restrictToCredentialDomains(helpers, credentials),
			credentials,
		);
		// Only an output that sets the expirable property gets stored
		if (output[expirableProperty.name] === undefined) return undefined;
		if (!node.credentials) return undefined;

		const nodeCredentials = node.credentials[credentialType.name];
		// Cache the token onto the raw stored data, but never overwrite a field stored as an expression
		const storedData = await (
			await this.getCredentials(nodeCredentials, credentialType.name)
		).getData();
		const dataToPersist: ICredentialDataDecryptedObject = { ...storedData };
		for (const [key, value] of Object.entries(output as ICredentialDataDecryptedObject)) {
			if (key === expirableProperty.name || !wf.isExpression(storedData[key]))
				dataToPersist[key] = value;
		}
		await this.updateCredentials(nodeCredentials, credentialType.name, dataToPersist);
		return Object.assign(credentials, output);
	}

	async runPreAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const credentialType = this.credentialTypes.getByName(typeName);
		if (typeof credentialType.preAuthentication !== 'function') return undefined;
		const output = await credentialType.preAuthentication.call(
			restrictToCredentialDomains(helpers, credentials),
			credentials,
		);
		return (output as ICredentialDataDecryptedObject) ?? undefined;
	}

	private getRecord(nodeCredentials: INodeCredentialsDetails, type: string): CredentialRecord {
		if (!nodeCredentials?.id) {
			throw new wf.UserError(`Credential "${nodeCredentials?.name}" of type "${type}" has no ID`);
		}
		const record = this.records.get(nodeCredentials.id);
		if (!record || record.type !== type) {
			throw new wf.UserError(
				`Credential with ID "${nodeCredentials.id}" does not exist for type "${type}".`,
			);
		}
		return record;
	}

	async getCredentials(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
	): Promise<StoredCredentials> {
		return new StoredCredentials(this.getRecord(nodeCredentials, type));
	}

	async getDecrypted(
		additionalData: IWorkflowExecuteAdditionalData,
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		raw?: boolean,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		const data = await (await this.getCredentials(nodeCredentials, type)).getData();
		if (raw === true) return data;
		return await this.applyDefaultsAndOverwrites(
			additionalData,
			data,
			type,
			mode,
			executeData,
			expressionResolveValues,
		);
	}

	/** Credential defaults, then expressions in the fields resolved (over `$self`, the credential's own data). */
	async applyDefaultsAndOverwrites(
		additionalData: IWorkflowExecuteAdditionalData,
		decryptedDataOriginal: ICredentialDataDecryptedObject,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		const credentialsProperties = this.getCredentialsProperties(type);
		let decryptedData = wf.NodeHelpers.getNodeParameters(
			credentialsProperties,
			{ ...decryptedDataOriginal } as INodeParameters,
			true,
			false,
			null,
			null,
		) as ICredentialDataDecryptedObject;

		// The OAuth data is no declared property of the credential: put it back
		if (decryptedDataOriginal.oauthTokenData !== undefined) {
			decryptedData.oauthTokenData = decryptedDataOriginal.oauthTokenData;
		}
		for (const key of ['allowedHttpRequestDomains', 'allowedDomains']) {
			if (decryptedData[key] === undefined && decryptedDataOriginal[key] !== undefined) {
				decryptedData[key] = decryptedDataOriginal[key];
			}
		}

		const additionalKeys = core.getAdditionalKeys(additionalData, mode, null, {
			isCredential: true,
		});

		if (expressionResolveValues) {
			try {
				decryptedData = expressionResolveValues.workflow.expression.getParameterValue(
					decryptedData as INodeParameters,
					expressionResolveValues.runExecutionData,
					expressionResolveValues.runIndex,
					expressionResolveValues.itemIndex,
					expressionResolveValues.node.name,
					expressionResolveValues.connectionInputData,
					mode,
					additionalKeys,
					executeData,
					false,
					decryptedData,
				) as ICredentialDataDecryptedObject;
			} catch (e) {
				(e as Error).message += ' [Error resolving credentials]';
				throw e;
			}
		} else {
			const workflow = new wf.Workflow({
				nodes: [{ ...MOCK_NODE }],
				connections: {},
				active: false,
				nodeTypes: MOCK_NODE_TYPES,
			});
			await workflow.expression.acquireIsolate();
			try {
				decryptedData = workflow.expression.getComplexParameterValue(
					MOCK_NODE,
					decryptedData as INodeParameters,
					mode,
					additionalKeys,
					undefined,
					undefined,
					decryptedData,
				) as ICredentialDataDecryptedObject;
			} finally {
				await workflow.expression.releaseIsolate();
			}
		}
		return decryptedData;
	}

	async updateCredentials(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		await (await this.getCredentials(nodeCredentials, type)).setData(data);
	}

	async updateCredentialsOauthTokenData(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		await (
			await this.getCredentials(nodeCredentials, type)
		).updateData({ oauthTokenData: data.oauthTokenData });
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		const credentialTypeData = this.credentialTypes.getByName(type);
		if (credentialTypeData.extends === undefined) {
			// The special OAuth parameter that stores the access and refresh token
			if (['oAuth1Api', 'oAuth2Api'].includes(type)) {
				return [
					...credentialTypeData.properties,
					{
						displayName: 'oauthTokenData',
						name: 'oauthTokenData',
						type: 'json',
						required: false,
						default: {},
					},
				];
			}
			return credentialTypeData.properties;
		}
		const combined: INodeProperties[] = [];
		for (const parentType of credentialTypeData.extends) {
			wf.NodeHelpers.mergeNodeProperties(combined, this.getCredentialsProperties(parentType));
		}
		// The credential's own properties take precedence over its parents'
		wf.NodeHelpers.mergeNodeProperties(combined, credentialTypeData.properties);
		return combined;
	}
}

/** The helpers a credential's preAuthentication gets: only httpRequest, within the credential's allowed domains. */
function restrictToCredentialDomains(
	helpers: IHttpRequestHelper,
	credentials: ICredentialDataDecryptedObject,
): IHttpRequestHelper {
	return {
		helpers: {
			httpRequest: async (requestOptions: IHttpRequestOptions): Promise<unknown> => {
				const allowedDomains = wf.getCredentialOwnRequestAllowedDomains(credentials);
				if (allowedDomains === undefined) return await helpers.helpers.httpRequest(requestOptions);
				if (requestOptions.allowedDomains !== undefined) {
					throw new wf.UserError(
						'This credential restricts requests to specific domains, which cannot be combined with the domains its authentication step asks for.',
					);
				}
				return await helpers.helpers.httpRequest({ ...requestOptions, allowedDomains });
			},
		},
	};
}

// ---------------------------------------------------------------------------------------------------------------
// The harness

let expressionEngineReady: Promise<void> | undefined;

const ENGINE_OPTIONS = {
	poolSize: 1,
	maxCodeCacheSize: 1024,
	bridgeTimeout: 5000,
	bridgeMemoryLimit: 128,
};

function initExpressionEngine(engine: 'vm' | 'legacy'): Promise<void> {
	expressionEngineReady ??= wf.Expression.initExpressionEngine({ engine, ...ENGINE_OPTIONS }).catch(
		async (error: Error) => {
			// Expression.initExpressionEngine loads @n8n/expression-runtime with a dynamic import(), which jest's
			// module sandbox refuses without --experimental-vm-modules. Start the same evaluator with require().
			if (!/dynamic import/i.test(error.message)) throw error;
			await startVmEngineWithRequire();
		},
	);
	return expressionEngineReady;
}

/** What Expression.initExpressionEngine({ engine: 'vm' }) does, with the runtime loaded by require(). */
async function startVmEngineWithRequire(): Promise<void> {
	const requireFromWorkflow = createRequire(requireHere.resolve('n8n-workflow'));
	const runtime = requireFromWorkflow(
		'@n8n/expression-runtime',
	) as typeof import('@n8n/expression-runtime');
	const { expressionSandboxHooks } = requireHere('n8n-workflow/expression-sandboxing') as {
		expressionSandboxHooks: ConstructorParameters<typeof runtime.ExpressionEvaluator>[0]['hooks'];
	};
	const evaluator = new runtime.ExpressionEvaluator({
		createBridge: () =>
			new runtime.IsolatedVmBridge({
				timeout: ENGINE_OPTIONS.bridgeTimeout,
				memoryLimit: ENGINE_OPTIONS.bridgeMemoryLimit,
				logger: wf.LoggerProxy,
			}),
		maxCodeCacheSize: ENGINE_OPTIONS.maxCodeCacheSize,
		poolSize: ENGINE_OPTIONS.poolSize,
		hooks: expressionSandboxHooks,
		logger: wf.LoggerProxy,
	});
	await evaluator.initialize();
	Object.assign(wf.Expression, { expressionEngine: 'vm', vmEvaluator: evaluator });
}

/** Finds the repository root: the nearest directory above this file with a package.json. */
function findRepositoryRoot(): string {
	let dir = path.dirname(HARNESS_FILE);
	while (!existsSync(path.join(dir, 'package.json'))) {
		const parent = path.dirname(dir);
		if (parent === dir) throw new Error(`No package.json above ${HARNESS_FILE}`);
		dir = parent;
	}
	return dir;
}

const UNAVAILABLE = (what: string) => async (): Promise<never> => {
	throw new wf.UnexpectedError(`${what} is not available in the test harness`);
};

export class IntuneHarness {
	readonly packageDir: string;
	readonly packageName: string;
	private readonly loader: PackageLoader;
	private readonly credentialTypes: HarnessCredentialTypes;
	private readonly credentialsHelper: HarnessCredentialsHelper;
	private readonly nodeTypes: HarnessNodeTypes;
	private readonly ready: Promise<void>;
	private executionCounter = 0;

	constructor(opts: HarnessOptions = {}) {
		isolateInstanceFolder();
		this.packageDir = path.resolve(opts.packageDir ?? findRepositoryRoot());
		this.packageName = (
			JSON.parse(readFileSync(path.join(this.packageDir, 'package.json'), 'utf8')) as {
				name: string;
			}
		).name;
		this.loader = new core.LazyPackageDirectoryLoader(this.packageDir);
		this.credentialTypes = new HarnessCredentialTypes(this.loader, [OAUTH2_API]);
		this.credentialsHelper = new HarnessCredentialsHelper(this.credentialTypes);
		this.nodeTypes = new HarnessNodeTypes(this.loader, {
			[INPUT_NODE_TYPE]: INPUT_NODE,
			[NO_OP_NODE_TYPE]: NO_OP_NODE,
		});

		const engine =
			opts.expressionEngine ?? (process.env.N8N_EXPRESSION_ENGINE === 'legacy' ? 'legacy' : 'vm');
		this.ready = Promise.all([this.loadPackage(), initExpressionEngine(engine)]).then(
			() => undefined,
		);
		// Failures surface on the first call that awaits `ready`
		this.ready.catch(() => undefined);
	}

	/** Loads the package as n8n's LoadNodesAndCredentials does (including the credentials' domain-restriction fields). */
	private async loadPackage(): Promise<void> {
		await this.loader.loadAll();
		const credentialTypes = [
			OAUTH2_API,
			...Object.values(this.loader.credentialTypes).map(({ type }) => type),
		];
		for (const credentialType of credentialTypes) {
			credentialType.properties = wf.injectDomainRestrictionFields(credentialType);
		}
	}

	/** Node type names of the loaded package. */
	async nodeTypeNames(): Promise<string[]> {
		await this.ready;
		return this.nodeTypes.nodeTypeNames();
	}

	/** Stores (or replaces) a credential record; runNode and the other calls do this with the one they get. */
	saveCredential(record: CredentialRecord): void {
		this.credentialsHelper.records.set(record.id, record);
	}

	/** The stored data of a credential now (a copy). */
	credentialData(id: string): ICredentialDataDecryptedObject {
		const record = this.credentialsHelper.records.get(id);
		if (!record) throw new Error(`No credential with id "${id}" in the harness`);
		return wf.deepCopy(record.data);
	}

	async runNode(options: RunNodeOptions): Promise<RunNodeResult> {
		await this.ready;
		const nodeType = this.resolveNodeType(options.nodeType);
		const typeVersion = options.typeVersion ?? 1;
		const mode = options.mode ?? 'manual';
		const description = this.nodeTypes.getByNameAndVersion(nodeType, typeVersion).description;
		const nodeName = options.nodeName ?? description.defaults.name ?? description.displayName;
		if (options.credential) this.saveCredential(options.credential);

		const inputNode: INode = {
			id: 'harness-input',
			name: INPUT_NODE_NAME,
			type: INPUT_NODE_TYPE,
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		};
		const node: INode = {
			id: 'harness-node-under-test',
			name: nodeName,
			type: nodeType,
			typeVersion,
			position: [220, 0],
			parameters: wf.deepCopy(options.parameters),
		};
		if (options.credential) {
			node.credentials = {
				[options.credential.type]: { id: options.credential.id, name: options.credential.name },
			};
		}
		if (options.onError) node.onError = options.onError;

		const workflowData: IWorkflowBase = {
			id: 'harness-workflow',
			name: 'Harness workflow',
			active: false,
			isArchived: false,
			activeVersionId: null,
			createdAt: new Date(),
			updatedAt: new Date(),
			nodes: [inputNode, node],
			connections: { [INPUT_NODE_NAME]: { main: [[{ node: nodeName, type: 'main', index: 0 }]] } },
			settings: { executionOrder: 'v1' },
		};
		const workflow = new wf.Workflow({
			id: workflowData.id,
			name: workflowData.name,
			nodes: workflowData.nodes,
			connections: workflowData.connections,
			active: false,
			nodeTypes: this.nodeTypes,
			settings: workflowData.settings,
		});

		const executionId = String(++this.executionCounter);
		const additionalData = this.additionalData({
			executionId,
			workflowId: workflowData.id,
			hooks: new core.ExecutionLifecycleHooks(mode, executionId, workflowData),
		});
		const items = core.normalizeItems(wf.deepCopy(options.items) as INodeExecutionData[]);
		const workflowExecute = new core.WorkflowExecute(additionalData, mode);
		const run = await workflowExecute.run({
			workflow,
			startNode: workflow.getNode(INPUT_NODE_NAME) ?? undefined,
			pinData: { [INPUT_NODE_NAME]: items },
		});

		const taskData = run.data.resultData.runData[nodeName]?.at(-1);
		const outputs = (taskData?.data?.main ?? []).map((output) => output ?? []);
		return {
			status: run.status,
			items: outputs[0] ?? [],
			outputs,
			error: run.data.resultData.error,
			run,
		};
	}

	/** Runs `methods.listSearch[methodName]` as n8n's DynamicNodeParametersService does for a resource locator. */
	async callListSearch(
		methodName: string,
		options: CallMethodOptions & { filter?: string; paginationToken?: string },
	): Promise<INodeListSearchResult> {
		const { context, workflow, nodeType } = await this.loadOptionsContext(options);
		const method = nodeType.methods?.listSearch?.[methodName];
		if (typeof method !== 'function') {
			throw new wf.UnexpectedError(`Node type has no listSearch method "${methodName}"`);
		}
		// The VM expression engine evaluates only while the workflow holds an isolate (n8n acquires one likewise)
		return await workflow.expression.withIsolate(
			async () => await method.call(context, options.filter, options.paginationToken),
		);
	}

	/** Runs `methods.loadOptions[methodName]` as n8n's DynamicNodeParametersService does for an options list. */
	async callLoadOptions(
		methodName: string,
		options: CallMethodOptions,
	): Promise<INodePropertyOptions[]> {
		const { context, workflow, nodeType } = await this.loadOptionsContext(options);
		const method = nodeType.methods?.loadOptions?.[methodName];
		if (typeof method !== 'function') {
			throw new wf.UnexpectedError(`Node type has no loadOptions method "${methodName}"`);
		}
		return await workflow.expression.withIsolate(async () => await method.call(context));
	}

	private async loadOptionsContext(options: CallMethodOptions) {
		await this.ready;
		const nodeTypeName = this.resolveNodeType(options.nodeType);
		const typeVersion = options.typeVersion ?? 1;
		const nodeType = this.nodeTypes.getByNameAndVersion(nodeTypeName, typeVersion);
		this.saveCredential(options.credential);
		const node: INode = {
			parameters: wf.deepCopy(options.parameters),
			id: 'uuid-1234',
			name: 'Temp-Node',
			type: nodeTypeName,
			typeVersion,
			position: [0, 0],
			credentials: {
				[options.credential.type]: { id: options.credential.id, name: options.credential.name },
			},
		};
		const workflow = new wf.Workflow({
			nodes: [node],
			connections: {},
			active: false,
			nodeTypes: this.nodeTypes,
		});
		const additionalData = this.additionalData({
			currentNodeParameters: wf.deepCopy(options.parameters),
		});
		const context = new core.LoadOptionsContext(
			workflow,
			workflow.nodes['Temp-Node'],
			additionalData,
			options.path ?? 'parameters',
		);
		return { context, workflow, nodeType };
	}

	/** Tests a credential as n8n's CredentialsTester does (the Test button of the credential dialog). */
	async testCredential(credential: CredentialRecord): Promise<INodeCredentialTestResult> {
		await this.ready;
		this.saveCredential(credential);
		const credentialType = credential.type;
		const testFunction = this.getCredentialTestFunction(credentialType);
		if (testFunction === undefined) {
			return { status: 'Error', message: 'No testing function found for this credential.' };
		}

		const additionalData = this.additionalData({});
		const credentialsDecrypted: ICredentialsDecrypted = {
			id: credential.id,
			name: credential.name,
			type: credentialType,
			data: wf.deepCopy(credential.data),
		};
		try {
			credentialsDecrypted.data = await this.credentialsHelper.applyDefaultsAndOverwrites(
				additionalData,
				credentialsDecrypted.data!,
				credentialType,
				'internal',
			);
		} catch (error) {
			return { status: 'Error', message: String((error as Error).message) };
		}

		if (typeof testFunction === 'function') {
			return await testFunction.call(new core.CredentialTestContext(), credentialsDecrypted);
		}

		// The test request runs as the routing of a temporary node's only parameter
		const nodeType = testFunction.nodeType ?? this.nodeTypes.getByNameAndVersion(NO_OP_NODE_TYPE);
		const node: INode = {
			id: 'temp',
			parameters: {},
			name: 'Temp-Node',
			type: nodeType.description.name,
			typeVersion: Array.isArray(nodeType.description.version)
				? nodeType.description.version.slice(-1)[0]
				: nodeType.description.version,
			position: [0, 0],
			credentials: { [credentialType]: { id: credential.id, name: credential.name } },
		};
		const nodeTypeCopy: INodeType = {
			description: {
				...nodeType.description,
				credentials: [{ name: credentialType, required: true }],
				properties: [
					{
						displayName: 'Temp',
						name: 'temp',
						type: 'string',
						routing: { request: testFunction.testRequest.request },
						default: '',
					},
				],
			},
		};
		const testNodeTypes: INodeTypes = {
			getByName: () => nodeTypeCopy,
			getByNameAndVersion: () => nodeTypeCopy,
			getKnownTypes: () => ({}),
		};
		const workflow = new wf.Workflow({
			nodes: [node],
			connections: {},
			active: false,
			nodeTypes: testNodeTypes,
		});
		const executeData: IExecuteData = { node, data: {}, source: null };
		const executeFunctions = new core.ExecuteContext(
			workflow,
			node,
			additionalData,
			'internal',
			wf.createRunExecutionData({ resultData: { runData: {} } }),
			0,
			[],
			{ main: [[{ json: {} }]] },
			executeData,
			[],
		);
		const routingNode = new core.RoutingNode(executeFunctions, nodeTypeCopy, credentialsDecrypted);

		let response: INodeExecutionData[][] | null | undefined;
		try {
			response = await workflow.expression.withIsolate(async () => await routingNode.runNode());
		} catch (error) {
			const cause = (
				error as { cause?: { response?: { status: number; statusText?: string }; code?: string } }
			).cause;
			if (cause?.response) {
				const statusCode = cause.response.status;
				for (const rule of testFunction.testRequest.rules ?? []) {
					if (rule.type === 'responseCode' && statusCode === rule.properties.value) {
						return { status: 'Error', message: rule.properties.message };
					}
				}
				if (statusCode < 199 || statusCode > 299) {
					return {
						status: 'Error',
						message: cause.response.statusText || `Received HTTP status code: ${statusCode}`,
					};
				}
			} else if (cause?.code) {
				return { status: 'Error', message: cause.code };
			}
			return { status: 'Error', message: String((error as Error).message) };
		}

		for (const rule of testFunction.testRequest.rules ?? []) {
			if (rule.type === 'responseSuccessBody') {
				const responseData = response?.[0]?.[0]?.json;
				if (getPath(responseData, rule.properties.key) === rule.properties.value) {
					return { status: 'Error', message: rule.properties.message };
				}
			}
		}
		return { status: 'OK', message: 'Connection successful!' };
	}

	/**
	 * Lets go of process-wide resources: the isolated-vm expression engine and the temporary n8n user folder.
	 * Call once, when done with all harnesses (e.g. in afterAll).
	 */
	static async close(): Promise<void> {
		if (instanceFolder) rmSync(instanceFolder, { recursive: true, force: true });
		if (!expressionEngineReady) return;
		await expressionEngineReady.catch(() => undefined);
		expressionEngineReady = undefined;
		await wf.Expression.disposeExpressionEngine();
	}

	/** n8n's CredentialsTester.getCredentialTestFunction. */
	private getCredentialTestFunction(
		credentialType: string,
	): ICredentialTestFunction | (ICredentialTestRequestData & { nodeType?: INodeType }) | undefined {
		const type = this.credentialTypes.getByName(credentialType);
		if (type.test) return { testRequest: type.test };

		for (const nodeName of this.credentialTypes.getSupportedNodes(credentialType)) {
			const node = this.nodeTypes.getByName(nodeName);
			const versions: INodeType[] =
				'nodeVersions' in node ? Object.values(node.nodeVersions) : [node];
			for (const nodeType of versions) {
				for (const { name, testedBy } of nodeType.description.credentials ?? []) {
					if (
						name === credentialType &&
						(this.credentialTypes.getParentTypes(name).includes('oAuth2Api') ||
							name === 'oAuth2Api')
					) {
						return async function oauth2CredTest(
							cred: ICredentialsDecrypted,
						): Promise<INodeCredentialTestResult> {
							const tokenData = cred?.data?.oauthTokenData;
							return tokenData && typeof tokenData === 'object' && 'access_token' in tokenData
								? { status: 'OK', message: 'Connection Successful!' }
								: {
										status: 'Error',
										message: 'This OAuth2 credential was not connected to an account.',
									};
						};
					}
					if (name === credentialType && testedBy) {
						if (typeof testedBy === 'string') {
							const credentialTest = nodeType.methods?.credentialTest;
							if (credentialTest && testedBy in credentialTest) return credentialTest[testedBy];
							continue;
						}
						return { nodeType, testRequest: testedBy };
					}
				}
			}
		}
		return undefined;
	}

	private resolveNodeType(nodeType: string | undefined): string {
		if (nodeType) return nodeType;
		const names = this.nodeTypes.nodeTypeNames();
		if (names.includes(DEFAULT_NODE_TYPE)) return DEFAULT_NODE_TYPE;
		if (names.length === 1) return names[0];
		throw new Error(
			`Pass nodeType: package ${this.packageName} has the node types ${names.join(', ')}`,
		);
	}

	/** A real IWorkflowExecuteAdditionalData; what a community node cannot reach throws when called. */
	private additionalData(
		extra: Partial<IWorkflowExecuteAdditionalData>,
	): IWorkflowExecuteAdditionalData {
		const base = 'http://localhost:5678';
		return {
			credentialsHelper: this.credentialsHelper,
			executeWorkflow: UNAVAILABLE('executeWorkflow'),
			getRunExecutionData: async () => undefined,
			getRuntimeCredential: async () => undefined,
			startRunnerTask: UNAVAILABLE('startRunnerTask'),
			logAiEvent: () => undefined,
			currentNodeExecutionIndex: 0,
			restApiUrl: `${base}/rest`,
			instanceBaseUrl: `${base}/`,
			formBaseUrl: `${base}/form`,
			formWaitingBaseUrl: `${base}/form-waiting`,
			formTestBaseUrl: `${base}/form-test`,
			webhookBaseUrl: `${base}/webhook`,
			webhookWaitingBaseUrl: `${base}/webhook-waiting`,
			webhookTestBaseUrl: `${base}/webhook-test`,
			mcpBaseUrl: `${base}/mcp`,
			mcpTestBaseUrl: `${base}/mcp-test`,
			variables: {},
			userId: 'harness-user',
			externalSecretsProxy: new core.ExternalSecretsProxy(),
			...extra,
		};
	}
}

function getPath(value: unknown, key: string): unknown {
	let current = value;
	for (const part of key.split('.')) {
		if (current === null || typeof current !== 'object') return undefined;
		current = (current as Record<string, unknown>)[part];
	}
	return current;
}
