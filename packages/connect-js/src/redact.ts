// Secret values in a URL never leave the page: a password-reset token, a magic-link code, an
// OAuth code, an #access_token= fragment or a user and password would otherwise sit in the
// analytics store. Only those values are replaced; everything else stays byte for byte.
//
// Which names are secret comes from the one word list connect-otel's scrubber also reads, built
// in here. Matching splits the URL on its separators and looks each name's words up in the list:
// linear in the URL's length, so no URL can stall the page.

import {
  counting,
  describing,
  parameters as wholeNames,
  route as routeWords,
  secret,
} from "../../connect-otel/src/connect_otel/secret_words.json";

const REDACTED = "[redacted]";

// The lists stay the space-separated strings they are in the JSON: a lookup is a substring test.
const listed = (list: string, phrase?: string): boolean => ` ${list} `.includes(` ${phrase} `);

const decode = (text: string): string => {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
};

// An e-mail address is personal data wherever it stands in a URL.
const isEmail = (text: string): boolean => /^[^\s@/?#&=;]+@[^\s@/?#&=;]+\.[a-z]{2,}$/i.test(decode(text));

// camelCase words apart and lower-cased: `apiKey2` -> api_key2.
const camel = (name: string): string =>
  name.replace(/([a-z\d])(?=[A-Z])|([A-Z])(?=[A-Z][a-z])/g, "$1$2_").toLowerCase();

// `X-Amz-Signature` -> x amz signature; `?apiKey2=` -> api key. At each word the longest secret
// phrase (up to three words) decides, unless a describing word follows or a counting word precedes.
export const isSecretName = (name: string): boolean => {
  const words = camel(decode(name)).split(/[^a-z]+/).filter(Boolean);
  return (
    listed(wholeNames, words.join("_")) ||
    words.some((_, start) => {
      const length = [3, 2, 1].find((length) => listed(secret, words.slice(start, start + length).join("_")));
      return length && !listed(describing, words[start + length]) && !listed(counting, words[start - 1]);
    })
  );
};

// A route parameter is also secret or personal when one of its words (digits kept) is in `route`.
export const isRouteSecret = (name: string): boolean =>
  isSecretName(name) || camel(name).split(/[^a-z\d]+/).some((word) => listed(routeWords, word));

const withoutUsers = (url: string): string => url.replace(/\/\/[^/?#@]*@/g, "//");

// Parameters, each from a ?, #, & or ; on. A value that is itself an encoded URL or query is
// redacted inside, to two levels of encoding.
const parameters = (text: string, depth: number): string =>
  withoutUsers(text)
    .split(/(?=[?#&;])/)
    .map((segment) => {
      const [, named = "", value = ""] = /^([^=]*=)([^]+)/.exec(segment) || [];
      if (isSecretName(named) || isEmail(value)) return named + REDACTED;
      const decoded = decode(value);
      const redacted = depth < 2 && value.includes("%") ? parameters(decoded, depth + 1) : decoded;
      return redacted == decoded ? segment : named + encodeURIComponent(redacted);
    })
    .join("");

// `route`: the route pattern of the page, when the server rendered this very page. The path's
// segments that are e-mail addresses, or that the route (`/reset/<uidb64>/<token>/`,
// `/recover/{email}`) names as secret or personal, are redacted.
export const redact = (url: string, route = ""): string => {
  const [, origin = "", path = "", rest = ""] = /^(\w+:\/\/[^/?#]*)?([^?#;]*)([^]*)/.exec(withoutUsers(url))!;
  const names = route.split("/");
  const segments = path.split("/");
  return (
    origin +
    segments
      .map((segment, index) => {
        const name = names.length == segments.length && /^(?:<(?:.*:)?|\{)(\w+)[>:}]/.exec(names[index]!)?.[1];
        return isEmail(segment) || (name && isRouteSecret(name)) ? REDACTED : segment;
      })
      .join("/") +
    parameters(rest, 0)
  );
};
