// The /v1/ API from the browser: same origin, Basic auth built from the signed-in key and secret.
// The secret lives in sessionStorage only (gone when the tab closes) and travels only in the
// Authorization header: never in a URL, never in a message, never in the console log.

const STORAGE = "tempodb.console.credentials";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The signed-in {key, secret}, or null. */
export function loadCredentials() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE) ?? "null");
    return saved && typeof saved.key === "string" && typeof saved.secret === "string" ? saved : null;
  } catch {
    return null;
  }
}

export function saveCredentials(key, secret) {
  sessionStorage.setItem(STORAGE, JSON.stringify({ key, secret }));
}

export function forgetCredentials() {
  sessionStorage.removeItem(STORAGE);
}

function basic(key, secret) {
  // UTF-8, as the server decodes it; btoa alone only takes Latin-1.
  const bytes = new TextEncoder().encode(`${key}:${secret}`);
  return "Basic " + btoa(String.fromCharCode(...bytes));
}

/** Plain words for a failed call: what happened and what to do. */
export function describeFailure(status, text) {
  switch (status) {
    case 401:
      return "The server wants a key and a secret: sign in again.";
    case 403:
      return "The server refused this key and secret (a wrong secret, an unknown key, or a series this key cannot see). Check them and sign in again.";
    case 404:
      return `The server has no such API path${text ? `: ${text}` : ""}. Is this a tempodb server?`;
    case 413:
      return `The request was too large: ${text}`;
    case 503:
      return "The server is busy; try again in a moment.";
    default:
      if (status >= 500) return `The server failed (${status}${text ? `: ${text}` : ""}). Its log says more.`;
      return text ? `The server said: ${text}` : `The server answered ${status}.`;
  }
}

export class Api {
  constructor(key, secret) {
    this.key = key;
    this.authorization = basic(key, secret);
  }

  /** JSON from `method /v1/path?query`; throws ApiError with a sentence for the user. */
  async call(method, path, query = [], body = undefined) {
    const params = new URLSearchParams(query);
    const url = `/v1/${path}${params.size ? `?${params}` : ""}`;
    const init = {
      method,
      headers: { Authorization: this.authorization, Accept: "application/json" },
      // The browser's own remembered credentials and cookies play no part: only ours.
      credentials: "omit",
      cache: "no-store",
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch {
      throw new ApiError(0, "Cannot reach the server: is `tempodb serve` still running?");
    }
    const text = await response.text();
    if (!response.ok) throw new ApiError(response.status, describeFailure(response.status, text.trim()));
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(response.status, "The server's answer was not JSON. Is this a tempodb server?");
    }
  }

  /** Series matching the API's filters (tags: all of them; attrs: [[name, value]]), by key. */
  listSeries(tags = [], attrs = []) {
    return this.call("GET", "series/", [...tags.map((t) => ["tag", t]), ...attrs.map(([n, v]) => [`attr[${n}]`, v])]);
  }

  updateSeries(series) {
    return this.call("PUT", `series/id/${encodeURIComponent(series.id)}/`, [], series);
  }

  summary(key, start, end, tz) {
    return this.call("GET", `series/key/${encodeURIComponent(key)}/summary/`, [["start", start], ["end", end], ["tz", tz]]);
  }

  /** DataSets of the series with these keys, one request for them all. */
  read(keys, start, end, interval, fn, tz) {
    const query = [...keys.map((k) => ["key", k]), ["start", start], ["end", end], ["interval", interval], ["tz", tz]];
    if (interval !== "raw") query.push(["function", fn]);
    return this.call("GET", "data/", query);
  }
}
