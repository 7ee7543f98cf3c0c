// Secret values in a URL's query and fragment parameters never leave the page: a
// password-reset token, a magic-link code, an OAuth code or an #access_token= fragment would
// otherwise sit in the analytics store. Only the value is replaced; every other parameter stays
// byte for byte.

// A parameter whose name holds a secret word, in any case and wherever it stands
// (`accessToken`, `X-Amz-Signature`), but not `auth` as the start of `author`; names too common as
// parts of others (`zip_code`, `design`) count only on their own. The one regular expression
// keeps the bundle small.
const SECRET_PARAMETER =
  /([?#&](?:[^=&#]*(?:token|secret|passw|auth(?!or(?!i))|session|signat|api.?key)[^=&#]*|sig|code|state)=)[^&#]*/gi;

export const redact = (url: string): string => url.replace(SECRET_PARAMETER, "$1[redacted]");
