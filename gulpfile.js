const { rm } = require('node:fs/promises');
const { src, dest } = require('gulp');

// A file removed from the sources must not live on in dist/ and be packed.
async function clean() {
	await rm('dist', { recursive: true, force: true });
}

// tsc compiles the TypeScript; n8n also needs the icons and codex files beside the compiled node.
function copyAssets() {
	return src(['nodes/**/*.{svg,png,json}', 'credentials/**/*.{svg,png}'], {
		base: '.',
		encoding: false,
	}).pipe(dest('dist'));
}

exports.clean = clean;
exports['build:assets'] = copyAssets;
