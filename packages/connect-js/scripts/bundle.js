// The one build definition, shared by `npm run build` and the test that checks the committed
// bundle is a fresh build of the source.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const BUNDLE_PATH = fileURLToPath(
  new URL(
    "../../connect-pageviews/src/connect_pageviews/static/connect_pageviews/pageviews.js",
    import.meta.url,
  ),
);
// The README's table says what each part of the bundle costs.
export const GZIP_BUDGET = 1700;

export async function bundle() {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("../src/pageviews.ts", import.meta.url))],
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2020",
    legalComments: "none",
    // Type checking is tsc's job; an empty config keeps esbuild from adding "use strict".
    tsconfigRaw: {},
    write: false,
  });
  return Buffer.from(result.outputFiles[0].contents);
}

export function gzipSize(bytes) {
  return gzipSync(bytes, { level: 9 }).length;
}
