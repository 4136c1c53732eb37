// The one way a URL from the config is shown: logs, status, error texts (issue #15 finding 11).
// Invariants:
// - Nothing from the user info ever comes out: a URL with credentials shows `***@` where they were.
// - The query string and fragment never come out either (a token is often put there): `?***`.
// - A URL is split by parsing (WHATWG URL), never by a pattern: `mqtt://user:Pass@2026@host` has the
//   password `Pass@2026`, and the host is what follows the LAST `@` of the authority.
// - Text that does not parse, or parses with an `@` left after the host (a password with an
//   unescaped `/`, `?` or `#` ends the authority early, and `https://u:1234/x@host` parses as host
//   `u`, port 1234), is cut at its last `@`: the result may say less than it could, never more.

const HIDDEN = '***';

export function redactUrl(text: string): string {
  const parsed = parse(text);
  if (parsed && !hasAtAfterHost(parsed)) return display(parsed);
  return redactUnparsed(text);
}

function parse(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function hasAtAfterHost(url: URL): boolean {
  return `${url.pathname}${url.search}${url.hash}`.includes('@');
}

function display(url: URL): string {
  const userInfo = url.username !== '' || url.password !== '' ? `${HIDDEN}@` : '';
  const query = url.search !== '' || url.hash !== '' ? `?${HIDDEN}` : '';
  // opaque URLs (`mailto:x`) have no authority to show
  const authority = url.href.startsWith(`${url.protocol}//`) ? `//${userInfo}${url.host}` : '';
  return `${url.protocol}${authority}${url.pathname}${query}`;
}

function redactUnparsed(text: string): string {
  const schemeEnd = text.indexOf('://');
  const scheme = schemeEnd >= 0 ? text.slice(0, schemeEnd + 3) : '';
  const rest = schemeEnd >= 0 ? text.slice(schemeEnd + 3) : text;
  const at = rest.lastIndexOf('@');
  const tail = at >= 0 ? rest.slice(at + 1) : rest;
  const cut = tail.search(/[?#]/);
  const shown = cut >= 0 ? `${tail.slice(0, cut)}?${HIDDEN}` : tail;
  return `${scheme}${at >= 0 ? `${HIDDEN}@` : ''}${shown}`;
}

/**
 * Error texts from network libraries may quote the URL, or worse its password: before such a text is
 * stored or shown, the URL becomes its redacted form and every secret (the URL's password as written
 * and decoded, any configured password) becomes `[redacted]`.
 */
export function hideUrlSecrets(text: string, url: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text.split(url).join(redactUrl(url));
  const password = parse(url)?.password ?? '';
  const all = [password, safeDecode(password), ...secrets].filter((s): s is string => typeof s === 'string' && s !== '');
  for (const secret of [...new Set(all)].sort((a, b) => b.length - a.length)) out = out.split(secret).join('[redacted]');
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
