// Connect's page-view beacon: one view per page load and per in-app navigation, sent as
// "Pageview beacon v1" (see the README). It never throws into the page and never logs.

import { redact } from "./redact";

type Beacon = {
  token: string;
  url: string;
  title: string;
  referrer: string;
  anonymous_id: string;
  identity: string;
  trace_id: string;
  route: string;
};

const ID_KEY = "plain_anonymous_id";
// This tab's last page and how it was sent: the next page's referrer is that page, whose route
// (and so its secret segments) only the page itself knew.
const LAST_KEY = "plain_pageviews_last";
// Where plain.connect 0.5 kept the id: returning visitors keep theirs.
const LEGACY_ID_KEY = "plain_pageviews_anonymous_id";

const doc = document;
const script = doc.currentScript as HTMLScriptElement | null;
const config = script ? script.dataset : {};
const endpoint = config.pageviewsUrl;
const token = config.token;
const globals = window as unknown as Record<string, unknown>;

// Nothing at all without a token and an endpoint; and a second copy of the script stays idle
// (the storage key's name doubles as the marker that one copy already runs). The marker is the
// number 1, which markup cannot fake: an element with that id or name makes the global an element.
if (endpoint && token && globals[ID_KEY] !== 1) {
  globals[ID_KEY] = 1;
  const hashRouting = "hash" in config;
  let lastPage = "";
  let lastUrl = "";
  let firstView = true;

  // Without hash routing, URLs that differ only in their hash are the same page.
  const page = (url: string): string => (hashRouting ? url : url.split("#")[0]!);
  // The route the server matched names the segments of the page it rendered, whenever it is seen.
  const rendered = page(location.href);

  // A v4 UUID: each 0, 1 or 8 of the template becomes a random hex digit (8 keeps the variant
  // bits). getRandomValues works where randomUUID does not (plain-HTTP pages).
  const uuid = (): string =>
    "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (digit) =>
      (+digit ^ (crypto.getRandomValues(new Uint8Array(1))[0]! & (15 >> (+digit / 4)))).toString(16),
    );

  const anonymousId = (): string => {
    try {
      const storage = localStorage;
      const id = storage.getItem(ID_KEY) || storage.getItem(LEGACY_ID_KEY) || uuid();
      storage.setItem(ID_KEY, id);
      return id;
    } catch {
      return "";
    }
  };

  const send = (body: string): void => {
    try {
      if (navigator.sendBeacon(endpoint, body)) return;
    } catch {
      // Missing or throwing: fetch below, as when the browser refuses the beacon.
    }
    fetch(endpoint, { method: "POST", body, keepalive: true, mode: "no-cors" }).catch(() => {});
  };

  const referrer = (): string => {
    try {
      const [previous, sent] = JSON.parse(sessionStorage.getItem(LAST_KEY)!) as string[];
      if (previous === page(doc.referrer)) return sent!;
    } catch {
      // Nothing kept, or storage blocked: the referrer as it is, redacted.
    }
    return redact(doc.referrer);
  };

  const view = (restored?: boolean): void => {
    try {
      const href = location.href;
      if (page(href) === lastPage && !restored) return;
      const url = redact(href, page(href) === rendered ? config.route : "");
      send(
        JSON.stringify({
        token,
        url,
        title: doc.title,
        referrer: firstView || restored ? referrer() : lastUrl,
        anonymous_id: anonymousId(),
        identity: config.identity || "",
        trace_id: (firstView && config.traceId) || "",
        route: (firstView && config.route) || "",
      } satisfies Beacon),
      );
      firstView = false;
      lastPage = page(href);
      lastUrl = url;
      try {
        sessionStorage.setItem(LAST_KEY, JSON.stringify([lastPage, url]));
      } catch {
        // Storage blocked: the next page's referrer is redacted without the route.
      }
    } catch {
      // A beacon must never break the page.
    }
  };

  // After the navigating task, so a title the app sets right after pushState is the one sent.
  const viewSoon = (): unknown => setTimeout(view);

  const pushState = history.pushState;
  history.pushState = function (...args: Parameters<History["pushState"]>): void {
    pushState.apply(this, args);
    viewSoon();
  };
  // Back, forward and (in current browsers) hash changes all arrive as popstate.
  addEventListener("popstate", viewSoon);
  addEventListener("pageshow", (event) => event.persisted && view(true));

  // A page loaded hidden or prerendered counts once someone sees it; later returns to the tab
  // are the same page, which view() does not count twice.
  const viewWhenVisible = (): void => {
    if (!doc.hidden) view();
  };
  doc.addEventListener("visibilitychange", viewWhenVisible);
  viewWhenVisible();
}
