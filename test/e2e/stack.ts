// What every e2e suite needs: a real n8n (installed once, cached), this package packed and installed into a
// fresh n8n user folder the way Community Nodes installs it, and a free port or two.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { progress, repoRoot } from '../../scripts/lib.ts';
import { ensureN8n, type N8nInstallation } from '../../scripts/n8n-install.ts';
import { installIntoN8n, packPackage } from '../../scripts/n8n.ts';

export const REPO = repoRoot(__dirname);

/** Screenshots and kept logs (.tmp/ is ignored by git). */
export const ARTIFACTS = path.join(REPO, '.tmp', 'e2e');

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

export interface PreparedN8n {
	inst: N8nInstallation;
	/** A fresh N8N_USER_FOLDER with the package installed in .n8n/nodes. */
	userFolder: string;
	/** Scratch space of this suite (removed by cleanup unless E2E_KEEP=1). */
	work: string;
	cleanup(): void;
}

/** Installs (or reuses) n8n, packs the built package and installs it into a new user folder. */
export async function prepareN8n(label: string): Promise<PreparedN8n> {
	if (!existsSync(path.join(REPO, 'dist', 'nodes', 'MicrosoftIntune', 'MicrosoftIntune.node.js'))) {
		throw new Error('dist/ is missing: run `npm run build` first (`npm run test:e2e` does)');
	}
	const inst = await ensureN8n({ log: progress('n8n', 4) });
	const work = mkdtempSync(path.join(tmpdir(), `intune-e2e-${label}-`));
	const userFolder = path.join(work, 'n8n-user');
	mkdirSync(userFolder, { recursive: true });
	const tarball = await packPackage(REPO, path.join(work, 'package'), inst);
	await installIntoN8n(inst, userFolder, tarball);
	mkdirSync(ARTIFACTS, { recursive: true });
	return {
		inst,
		userFolder,
		work,
		cleanup() {
			if (process.env.E2E_KEEP !== '1') rmSync(work, { recursive: true, force: true });
		},
	};
}
