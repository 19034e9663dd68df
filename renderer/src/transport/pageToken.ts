/**
 * The browser mode's access token on the page side. `relayscope serve` prints
 * http://127.0.0.1:PORT/#token=HEX: a fragment is never sent to a server (nor in a Referer), so the
 * token reaches no server at all, ours included, until the page hands it to the bridge's WebSocket
 * as a subprotocol. No cookie carries it: a browser sends a 127.0.0.1 cookie to every port on that
 * host, so any local user's server on another port would receive it.
 *
 * No DOM types here: the server's tests import bridgeProtocols to open the bridge as the page does.
 */

/** The subprotocol of the contract's JSON framing; the server answers with this one alone. */
export const BRIDGE_PROTOCOL = 'relayscope.v1';
/** The second subprotocol the page offers is `token.HEX`. */
export const TOKEN_PROTOCOL_PREFIX = 'token.';

/**
 * GET here with the token in TOKEN_HEADER answers 204 when serve takes the token and 403 when it
 * does not. A browser does not say why a WebSocket upgrade failed (a refused token and a stopped
 * server both end in close code 1006), so the page asks this to tell the person which it is.
 */
export const TOKEN_CHECK_PATH = '/token-check';
export const TOKEN_HEADER = 'X-Relayscope-Token';

/** The key in sessionStorage: see takePageToken for why there. */
export const PAGE_TOKEN_STORAGE_KEY = 'relayscope.token';
/** serve's tokens are hex; anything else cannot be a subprotocol (new WebSocket would throw) and is ignored. */
const TOKEN = /^[0-9a-f]{1,256}$/i;

export function bridgeProtocols(token: string): string[] {
  return [BRIDGE_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`];
}

export interface PageLocation {
  readonly hash: string;
  readonly pathname: string;
  readonly search: string;
}
export interface PageHistory {
  readonly state: unknown;
  replaceState(data: unknown, unused: string, url?: string): void;
}
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * The token from the address's `#token=HEX`, which is then removed from the address bar (so it is
 * not left in the history, a bookmark or a screen share), or else the one an earlier load of this
 * tab kept; null when there is none.
 *
 * It is kept in sessionStorage so that a reload, which no longer has the fragment, still connects.
 * sessionStorage belongs to this origin and this tab only, is never sent with a request (unlike a
 * cookie, which would go to every port on 127.0.0.1) and is gone when the tab closes; localStorage
 * would outlive the tab and the serve process whose token it was.
 */
export function takePageToken(location: PageLocation, history: PageHistory, storage: TokenStorage): string | null {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromFragment !== null) {
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
    if (TOKEN.test(fromFragment)) {
      storage.setItem(PAGE_TOKEN_STORAGE_KEY, fromFragment);
      return fromFragment;
    }
  }
  const kept = storage.getItem(PAGE_TOKEN_STORAGE_KEY);
  return kept !== null && TOKEN.test(kept) ? kept : null;
}

/**
 * True when `hash` carries a token. The printed URL differs from the open tab's only in its
 * fragment, so opening it there changes the fragment without loading the page: the page reloads
 * itself then, to take the new token.
 */
export function hasTokenFragment(hash: string): boolean {
  return new URLSearchParams(hash.slice(1)).has('token');
}
