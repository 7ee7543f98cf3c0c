// Reads a JSON list of names on stdin and writes, for each, whether the beacon finds it secret
// as a parameter and as a route parameter: the other half of connect-otel's test that the
// scrubber and the beacon decide alike.
import { readFileSync } from "node:fs";
import { isRouteSecret, isSecretName } from "./redact-module.js";

const names = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(names.map((name) => [isSecretName(name), isRouteSecret(name)])));
