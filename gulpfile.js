const { src, dest } = require('gulp');

// tsc compiles the TypeScript; n8n also needs the icons and codex files beside the compiled node.
function copyAssets() {
	return src(['nodes/**/*.{svg,png,json}', 'credentials/**/*.{svg,png}'], { base: '.', encoding: false }).pipe(
		dest('dist'),
	);
}

exports['build:assets'] = copyAssets;
