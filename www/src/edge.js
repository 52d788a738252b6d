// The edge Worker's decision for this page (edge/README.md, "Contract with the browser SDK").
// Page content must not pose as the edge: a `<script id="waymark-edge-decision">` can be put in a
// page by anything that writes its HTML, so the SDK takes one only when its nonce is the one in
// this response's `Server-Timing: waymark-edge;desc="<nonce>"` header. A header is out of reach
// of page content, the nonce is fresh for each response, and the Worker removes every element of
// the origin's page that has its ids. The SDK reads the header from the navigation's timing entry.

const EDGE_ID = "waymark-edge-decision";

/** This response's edge nonce: the one `waymark-edge` Server-Timing entry, or "" if none. */
function edgeNonce() {
  try {
    const entries = performance.getEntriesByType("navigation")[0]?.serverTiming ?? [];
    const mine = entries.filter((e) => e.name === "waymark-edge");
    return mine.length === 1 && /^[0-9a-f]{1,64}$/.test(mine[0].description) ? mine[0].description : "";
  } catch {
    return ""; // no Navigation Timing: no edge decision
  }
}

/**
 * The edge's `{decision, applied, visitorId, nonce}`, or null: the JSON script in `<head>` whose
 * nonce is this response's. Every such script in `<head>` is removed once read; one with
 * another nonce, or any when the response has none, is ignored (and reported).
 */
export function readEdge(report) {
  const scripts = [...document.querySelectorAll(`script[type="application/json"][id="${EDGE_ID}"]`)].filter((s) =>
    document.head?.contains(s),
  );
  if (!scripts.length) return null;
  const nonce = edgeNonce();
  let found = null;
  for (const script of scripts) {
    script.remove();
    if (found || !nonce) continue;
    try {
      const data = JSON.parse(script.textContent);
      if (data?.nonce === nonce) found = data;
    } catch (error) {
      report(error);
    }
  }
  if (!found) report(new Error("waymark: an edge decision without this response's nonce was ignored"));
  return found;
}
