// The redaction module as the bundle has it, built from its TypeScript source.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const result = await build({
  entryPoints: [fileURLToPath(new URL("../src/redact.ts", import.meta.url))],
  bundle: true,
  format: "esm",
  write: false,
});
const source = Buffer.from(result.outputFiles[0].contents).toString("base64");
export const { redact, isSecretName, isRouteSecret } = await import(`data:text/javascript;base64,${source}`);
