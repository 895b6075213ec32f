// The JSON API the console speaks (the same one integrators use), with the session's CSRF token.
// Network failures and 5xx answers are retried with backoff; 4xx answers are returned at once
// with the server's message, so the page can show it plainly.

const sleep = (ms) => new Promise((resolve) => { window.setTimeout(resolve, ms); });

export class ApiError extends Error {
  constructor(status, message, data) {
    super(message);
    this.status = status;
    this.data = data;
  }
}

export class Api {
  constructor({ base, csrf, brand }) {
    this.base = base.replace(/\/$/, "");
    this.csrf = csrf;
    this.brand = brand;
  }

  brandPath(path) {
    return `/brands/${encodeURIComponent(this.brand)}/${path}`;
  }

  // retries: how many times a network error or a 5xx is tried again (backoff 0.3 s doubling, ≤ 5 s).
  async request(method, path, body, { retries = 0, signal } = {}) {
    const url = path.startsWith("http") ? path : `${this.base}${path}`;
    const init = {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": this.csrf },
      signal,
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    for (let attempt = 0; ; attempt += 1) {
      let response;
      try {
        response = await fetch(url, init);
      } catch (error) {
        if (error.name === "AbortError") throw error;
        if (attempt >= retries) throw new ApiError(0, "The network is down or the server did not answer.", null);
        await sleep(Math.min(5000, 300 * 2 ** attempt));
        continue;
      }
      if (response.status >= 500 && attempt < retries) {
        await sleep(Math.min(5000, 300 * 2 ** attempt));
        continue;
      }
      const data = response.status === 204 ? null : await response.json().catch(() => null);
      if (!response.ok) {
        const error = new ApiError(response.status, messageOf(data, response.status), data);
        // After a retry the first attempt may have been done by the server after all.
        error.retried = attempt > 0;
        throw error;
      }
      return data;
    }
  }

  get(path, options) { return this.request("GET", path, undefined, options); }

  post(path, body, options) { return this.request("POST", path, body ?? {}, options); }

  // Send a JSON POST that outlives the page (decisions still queued when the moderator leaves).
  postOnLeaving(path, body) {
    fetch(`${this.base}${path}`, {
      method: "POST",
      keepalive: true,
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": this.csrf },
      body: JSON.stringify(body),
    }).catch(() => {});
  }

  // Release on leaving the page: a beacon survives the unload, and it cannot set headers, so the
  // CSRF token travels as a form field.
  beaconRelease(ids) {
    if (!ids.length || !navigator.sendBeacon) return false;
    const form = new URLSearchParams();
    form.append("csrfmiddlewaretoken", this.csrf);
    for (const id of ids) form.append("entries", id);
    return navigator.sendBeacon(`${this.base}${this.brandPath("queue/release/")}`, form);
  }
}

function messageOf(data, status) {
  if (data && typeof data === "object") {
    if (typeof data.detail === "string") return data.detail;
    for (const value of Object.values(data)) {
      if (Array.isArray(value) && typeof value[0] === "string") return value[0];
    }
  }
  return `The server answered ${status}.`;
}
