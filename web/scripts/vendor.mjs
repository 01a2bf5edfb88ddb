// Copies the console's third-party files from node_modules/ (installed by `npm ci` from the
// committed package-lock.json) into vendor/, which the server serves under /vendor/ with a
// day of caching. vendor/ is built, never committed: `make web-vendor` runs this script.
// Only the files the console loads are copied, with the library's licence next to them.
import { copyFileSync, mkdirSync, rmSync, existsSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/* One row per library: the package, where its files go under vendor/, and which files. */
const LIBS = [
	{
		pkg: 'uplot',
		dir: 'uplot',
		files: { 'dist/uPlot.esm.js': 'uPlot.esm.js', 'dist/uPlot.iife.min.js': 'uPlot.iife.min.js', 'dist/uPlot.min.css': 'uPlot.min.css', LICENSE: 'LICENSE.txt' },
	},
];

const vendor = path.join(web, 'vendor');
rmSync(vendor, { recursive: true, force: true });
for (const lib of LIBS) {
	const src = path.join(web, 'node_modules', lib.pkg);
	if (!existsSync(src)) {
		console.error(`vendor: ${lib.pkg} is not installed; run npm ci in web/ first`);
		process.exit(1);
	}
	const dest = path.join(vendor, lib.dir);
	mkdirSync(dest, { recursive: true });
	for (const [from, to] of Object.entries(lib.files)) copyFileSync(path.join(src, from), path.join(dest, to));
	const { version } = JSON.parse(readFileSync(path.join(src, 'package.json'), 'utf8'));
	writeFileSync(path.join(dest, 'VERSION.txt'), `${lib.pkg} ${version}\n`);
	console.log(`vendor: ${lib.pkg} ${version} -> vendor/${lib.dir}/`);
}
