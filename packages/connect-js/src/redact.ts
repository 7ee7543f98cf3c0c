// Secret values in a URL never leave the page: a password-reset token, a magic-link code, an
// OAuth code, an #access_token= fragment or a user and password would otherwise sit in the
// analytics store. Only those values are replaced; everything else stays byte for byte.
//
// Which names are secret comes from the one word list connect-otel's scrubber also reads, built
// in here. Matching splits the URL on its separators and looks each name's words up in a set:
// linear in the URL's length, so no URL can stall the page.

import {
  counting,
  describing,
  parameters as names,
  route as routeWords,
  secret,
} from "../../connect-otel/src/connect_otel/secret_words.json";

const set = (entries: string): Set<string> => new Set(entries.split(" "));
const SECRET = set(secret);
const DESCRIBING = set(describing);
const COUNTING = set(counting);
const PARAMETERS = set(names);
const ROUTE = set(routeWords);
const REDACTED = "[redacted]";
// An e-mail address is personal data wherever it stands in a URL.
const isEmail = (text: string): boolean => /^[^\s@/?#&=;]+@[^\s@/?#&=;]+\.[a-z]{2,}$/i.test(decode(text));

const decode = (text: string): string => {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
};

// camelCase words apart and lower-cased: `apiKey2` -> api_key2.
const camel = (name: string): string =>
  name.replace(/([a-z\d])(?=[A-Z])|([A-Z])(?=[A-Z][a-z])/g, "$1$2_").toLowerCase();

// `X-Amz-Signature` -> x amz signature; `apiKey2` -> api key.
const splitWords = (name: string): string[] => camel(name).split(/[^a-z]+/).filter(Boolean);

export const isSecretName = (name: string): boolean => {
  const words = splitWords(decode(name));
  for (let start = 0; start < words.length; start++) {
    // Past the last word, slice stops at it: the phrase is checked again, harmlessly.
    for (let end = start + 3; end > start; end--) {
      if (SECRET.has(words.slice(start, end).join("_"))) {
        if (!DESCRIBING.has(words[end]!) && !COUNTING.has(words[start - 1]!)) return true;
        break;
      }
    }
  }
  return PARAMETERS.has(words.join("_"));
};

// Parameters, each after a ?, #, & or ;. A value that is itself an encoded URL or query is
// redacted inside, to two levels of encoding.
const parameters = (text: string, depth: number): string =>
  text
    .split(/(?=[?#&;])/)
    .map((segment) => {
      const equals = segment.indexOf("=");
      const value = segment.slice(equals + 1);
      if (equals < 0 || !value) return segment;
      const named = segment.slice(0, equals + 1);
      if (isSecretName(named.slice(1, -1)) || isEmail(value)) return named + REDACTED;
      if (depth < 2 && value.includes("%")) {
        const decoded = decode(value);
        const redacted = redactUrl(decoded, depth + 1);
        if (redacted != decoded) return named + encodeURIComponent(redacted);
      }
      return segment;
    })
    .join("");

// A nested value without ?, # or ; is a query: all of it is parameters.
const redactUrl = (url: string, depth: number): string => {
  const text = url.replace(/\/\/[^/?#@]*@/g, "//");
  const start = text.search(/[?#;]/);
  return start < 0
    ? depth
      ? parameters("&" + text, depth).slice(1)
      : text
    : text.slice(0, start) + parameters(text.slice(start), depth);
};

// The path's segments that are e-mail addresses, or that the route the server matched
// (`/reset/<uidb64>/<token>/`, `/recover/{email}`) names as secret or personal, are redacted.
export const isRouteSecret = (name: string): boolean =>
  isSecretName(name) || camel(name).split(/[^a-z\d]+/).some((word) => ROUTE.has(word));

const redactPath = (url: string, route: string): string => {
  const [, origin = "", path, rest] = /^((?:\w+:)?\/\/[^/?#]*)?([^?#]*)(.*)$/.exec(url)!;
  const names = route.split("/");
  const segments = path!.split("/");
  return (
    origin +
    segments
      .map((segment, index) => {
        const parameter =
          names.length == segments.length &&
          (/^(?:<(?:.*:)?|\{)(\w+)[>:}]/.exec(names[index]!) || [])[1];
        return isEmail(segment) || (parameter && isRouteSecret(parameter)) ? REDACTED : segment;
      })
      .join("/") +
    rest
  );
};

// `route`: the route pattern of the page, when the server rendered this very page.
export const redact = (url: string, route = ""): string => redactUrl(redactPath(url, route), 0);
