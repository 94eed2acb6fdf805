// Test PKI made at run time with the openssl CLI (RSA 2048, in a temp dir removed afterwards): a CA,
// an HTTPS server certificate for localhost/127.0.0.1 signed by it, and self-signed client
// certificates for app registrations. Nothing is committed; the CA is made once per process.
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ClientCertificateOptions {
	/** Encrypt the private key PEM with this passphrase (AES-256-CBC). */
	encryptWithPassphrase?: string;
	/** PKCS#1 ("BEGIN RSA PRIVATE KEY") instead of PKCS#8. */
	pkcs1?: boolean;
	cn?: string;
}

export interface ClientCertificate {
	certificatePem: string;
	privateKeyPem: string;
	/** base64url of the SHA-256 of the certificate's DER (what MSAL calls thumbprintSha256 is its hex form). */
	thumbprintSha256: string;
}

export interface TestPki {
	caCertPem: string;
	caKeyPem: string;
	serverCertPem: string;
	serverKeyPem: string;
	makeClientCertificate(opts?: ClientCertificateOptions): ClientCertificate;
}

// A minimal config keeps openssl independent of the system openssl.cnf.
const OPENSSL_CNF = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
`;

const SERVER_EXT = `basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

const DAYS = '7';

function withTempDir<T>(fn: (dir: string) => T): T {
	const dir = mkdtempSync(join(tmpdir(), 'graph-emulator-pki-'));
	try {
		return fn(dir);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

async function withTempDirAsync<T>(fn: (dir: string) => Promise<T>): Promise<T> {
	const dir = mkdtempSync(join(tmpdir(), 'graph-emulator-pki-'));
	try {
		return await fn(dir);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** base64url SHA-256 of a certificate's DER: the value of a client assertion's x5t#S256 header. */
export function certificateThumbprintSha256(certificatePem: string): string {
	return createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('base64url');
}

function formatKey(keyPem: string, opts: ClientCertificateOptions): string {
	const key = createPrivateKey(keyPem);
	const cipher =
		opts.encryptWithPassphrase !== undefined
			? { cipher: 'aes-256-cbc', passphrase: opts.encryptWithPassphrase }
			: {};
	return key.export({ type: opts.pkcs1 ? 'pkcs1' : 'pkcs8', format: 'pem', ...cipher }).toString();
}

/** A self-signed client certificate (as uploaded to an app registration) and its key. */
export function makeClientCertificate(opts: ClientCertificateOptions = {}): ClientCertificate {
	return withTempDir((dir) => {
		const cnf = join(dir, 'openssl.cnf');
		writeFileSync(cnf, OPENSSL_CNF);
		const cn = (opts.cn ?? 'n8n Intune test client').replace(/[/\\=]/g, ' ');
		execFileSync(
			'openssl',
			[
				'req',
				'-x509',
				'-newkey',
				'rsa:2048',
				'-noenc',
				'-config',
				cnf,
				'-keyout',
				join(dir, 'key.pem'),
				'-out',
				join(dir, 'cert.pem'),
				'-days',
				DAYS,
				'-subj',
				`/CN=${cn}`,
				'-addext',
				'basicConstraints=critical,CA:FALSE',
				'-addext',
				'keyUsage=critical,digitalSignature',
			],
			{ stdio: ['ignore', 'ignore', 'pipe'] },
		);
		const certificatePem = readFileSync(join(dir, 'cert.pem'), 'utf8');
		return {
			certificatePem,
			privateKeyPem: formatKey(readFileSync(join(dir, 'key.pem'), 'utf8'), opts),
			thumbprintSha256: certificateThumbprintSha256(certificatePem),
		};
	});
}

async function createCaAndServer(): Promise<Omit<TestPki, 'makeClientCertificate'>> {
	return withTempDirAsync(async (dir) => {
		const p = (name: string) => join(dir, name);
		writeFileSync(p('openssl.cnf'), OPENSSL_CNF);
		writeFileSync(p('server.ext'), SERVER_EXT);
		const ca = run('openssl', [
			'req',
			'-x509',
			'-newkey',
			'rsa:2048',
			'-noenc',
			'-config',
			p('openssl.cnf'),
			'-keyout',
			p('ca.key'),
			'-out',
			p('ca.pem'),
			'-days',
			DAYS,
			'-subj',
			'/CN=Graph Emulator Test CA',
			'-addext',
			'basicConstraints=critical,CA:TRUE',
			'-addext',
			'keyUsage=critical,keyCertSign,cRLSign',
			'-addext',
			'subjectKeyIdentifier=hash',
		]);
		// The server key and request are made while the CA key is generated.
		const csr = run('openssl', [
			'req',
			'-new',
			'-newkey',
			'rsa:2048',
			'-noenc',
			'-config',
			p('openssl.cnf'),
			'-keyout',
			p('server.key'),
			'-out',
			p('server.csr'),
			'-subj',
			'/CN=localhost',
		]);
		await Promise.all([ca, csr]);
		await run('openssl', [
			'x509',
			'-req',
			'-in',
			p('server.csr'),
			'-CA',
			p('ca.pem'),
			'-CAkey',
			p('ca.key'),
			'-CAcreateserial',
			'-out',
			p('server.pem'),
			'-days',
			DAYS,
			'-sha256',
			'-extfile',
			p('server.ext'),
		]);
		const read = (name: string) => readFileSync(p(name), 'utf8');
		return {
			caCertPem: read('ca.pem'),
			caKeyPem: read('ca.key'),
			serverCertPem: read('server.pem'),
			serverKeyPem: read('server.key'),
		};
	});
}

let cached: Promise<Omit<TestPki, 'makeClientCertificate'>> | undefined;

/** The process-wide test PKI (created on first use) and a factory for client certificates. */
export async function generateTestPki(): Promise<TestPki> {
	cached ??= createCaAndServer().catch((e) => {
		cached = undefined; // let a later call try again
		throw new Error(`Could not create the test PKI with the openssl CLI: ${(e as Error).message}`);
	});
	return { ...(await cached), makeClientCertificate };
}
