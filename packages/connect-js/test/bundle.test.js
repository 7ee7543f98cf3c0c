import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { BUNDLE_PATH, GZIP_BUDGET, bundle, gzipSize } from "../scripts/bundle.js";

test("the committed bundle is a fresh build of the source", async () => {
  const fresh = await bundle();
  const committed = readFileSync(BUNDLE_PATH);
  assert.ok(fresh.equals(committed), "run `npm run build` and commit the bundle");
});

test(`the bundle stays within ${GZIP_BUDGET} bytes gzipped`, async () => {
  const size = gzipSize(await bundle());
  console.log(`pageviews.js: ${size} bytes gzip -9`);
  assert.ok(size <= GZIP_BUDGET, `${size} bytes gzipped is over the budget`);
});

test("the bundle is a self-contained script: no imports, no exports, no console", async () => {
  const source = (await bundle()).toString();
  assert.doesNotMatch(source, /\bimport\b|\bexport\b|console\./);
});
