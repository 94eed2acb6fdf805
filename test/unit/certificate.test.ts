import { createHash, X509Certificate } from 'node:crypto';

import { CredentialError, readCertificate } from '../../credentials/msal';
import { generateTestPki } from '../emulator/index.ts';

let pki: Awaited<ReturnType<typeof generateTestPki>>;

beforeAll(async () => {
	pki = await generateTestPki();
});

const sha256Hex = (pem: string) =>
	createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');

describe('readCertificate (the certificate credential)', () => {
	it('computes the SHA-256 thumbprint of the leaf and keeps the whole chain for x5c', () => {
		const client = pki.makeClientCertificate();
		const chain = `${client.certificatePem}\n${pki.caCertPem}`;
		const certificate = readCertificate(chain, client.privateKeyPem, '');
		expect(certificate.thumbprintSha256).toBe(sha256Hex(client.certificatePem));
		expect(Buffer.from(certificate.thumbprintSha256, 'hex').toString('base64url')).toBe(
			client.thumbprintSha256,
		);
		expect(certificate.x5c.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
		expect(certificate.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
	});

	it('turns PKCS#1 and encrypted keys into PKCS#8', () => {
		const pkcs1 = pki.makeClientCertificate({ pkcs1: true });
		expect(pkcs1.privateKeyPem).toMatch(/BEGIN RSA PRIVATE KEY/);
		expect(readCertificate(pkcs1.certificatePem, pkcs1.privateKeyPem, '').privateKey).toMatch(
			/BEGIN PRIVATE KEY/,
		);
		const encrypted = pki.makeClientCertificate({ encryptWithPassphrase: 'open sesame' });
		expect(
			readCertificate(encrypted.certificatePem, encrypted.privateKeyPem, 'open sesame').privateKey,
		).toMatch(/BEGIN PRIVATE KEY/);
	});

	it.each([
		[
			'no certificate',
			() => readCertificate('', pki.makeClientCertificate().privateKeyPem, ''),
			'holds no PEM certificate',
		],
		[
			'a broken certificate',
			() => readCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', '', ''),
			'not a valid X.509 certificate',
		],
		[
			'a key that is no key',
			() => readCertificate(pki.makeClientCertificate().certificatePem, 'hello', ''),
			'not a PEM private key',
		],
		[
			"another certificate's key",
			() =>
				readCertificate(
					pki.makeClientCertificate().certificatePem,
					pki.makeClientCertificate().privateKeyPem,
					'',
				),
			'does not belong to the certificate',
		],
	])('refuses %s with a message that holds no key', (_case, read, message) => {
		let error: unknown;
		try {
			read();
		} catch (thrown) {
			error = thrown;
		}
		expect(error).toBeInstanceOf(CredentialError);
		expect((error as Error).message).toContain(message);
		expect((error as Error).message).not.toMatch(/PRIVATE KEY|MII/);
	});
});
