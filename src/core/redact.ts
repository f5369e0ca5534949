// Credentials never printed: a URL's password (OTLP endpoints, Sentry DSNs, Redis URLs) is
// replaced in anything shown, and a bad value of a field that may hold a credential is not echoed.

/**
 * `scheme://user:password@` → `scheme://user:***@` everywhere in `text`: the one URL redactor.
 * The password runs to the last `@` before whitespace, so one typed without percent-encoding
 * (`p@ss`, `p?ss`, `p/ss`, a quote) is hidden whole; a `host:port/…@…` is hidden too, which
 * only hides more.
 */
export const redactUrlPasswords = (text: string): string => text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"']*:)\S+@/gi, '$1***@');

/** Spec fields whose value may be a credential, by their key (password, apiKey, url, dsn …). */
export const mayHoldCredential = (key: string | number | undefined): boolean =>
  typeof key === 'string' && /password|secret|key|token|dsn|url|endpoint|credential/i.test(key);
