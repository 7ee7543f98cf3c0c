import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

// The redaction module as the bundle has it, built from its TypeScript source.
const { redact } = await (async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("../src/redact.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    write: false,
  });
  const source = Buffer.from(result.outputFiles[0].contents).toString("base64");
  return import(`data:text/javascript;base64,${source}`);
})();

const SECRET_NAMES = [
  "token", "access_token", "id_token", "refresh_token", "csrf_token", "accessToken",
  "AUTH_TOKEN", "secret", "client_secret", "password", "passwd", "new_password", "auth",
  "authorization", "authorize_token", "session", "sessionid", "session_id", "SessionKey",
  "X-Amz-Signature", "X-Goog-Signature", "Signature", "sig", "api_key", "apikey", "api-key",
  "apiKey", "code", "state",
];
const KEPT_NAMES = [
  "author", "page", "utm_source", "utm_campaign", "ref", "q", "zip_code", "statement", "design",
  "keyword", "id",
];

test("every secret parameter's value is redacted, in the query and in the fragment", () => {
  for (const name of SECRET_NAMES) {
    for (const separator of ["?", "#"]) {
      const url = `https://shop.example/p${separator}${name}=s3cr3t`;
      assert.equal(redact(url), `https://shop.example/p${separator}${name}=[redacted]`, name);
    }
  }
});

test("every other parameter stays byte for byte", () => {
  for (const name of KEPT_NAMES) {
    const url = `https://shop.example/p?${name}=a%20b+c&x=#${name}=1`;
    assert.equal(redact(url), url, name);
  }
});

test("only the secret values change, wherever they stand", () => {
  assert.equal(
    redact("https://a.example/reset?utm_source=news&token=abc&page=2&token=def#access_token=xyz&x=1"),
    "https://a.example/reset?utm_source=news&token=[redacted]&page=2&token=[redacted]" +
      "#access_token=[redacted]&x=1",
  );
  assert.equal(redact("https://a.example/cb?code=&state=s"), "https://a.example/cb?code=[redacted]&state=[redacted]");
  assert.equal(redact("https://a.example/path/token=1/x"), "https://a.example/path/token=1/x");
  assert.equal(redact(""), "");
});
