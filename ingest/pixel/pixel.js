/* Omnistream pixel. Embed:
 *   <script src="https://PIXEL_HOST/pixel.js" data-site="SITE_KEY" async></script>
 * Optional: data-member="MEMBER_ID" on the tag, or omnistream.identify(memberId).
 * Orders:   omnistream.order({order_id: "O-1", amount: "1280.00", currency: "TWD"});
 * Calls made before the script loads can be queued in window.omnistream.q as
 * [method, argument] pairs. */
(function (w, d) {
  "use strict";
  var tag = d.currentScript;
  if (!tag) {
    var tags = d.querySelectorAll("script[data-site]");
    tag = tags[tags.length - 1];
  }
  var site = tag && tag.getAttribute("data-site");
  if (!site || !tag.src) {
    return;
  }
  var endpoint = new URL("/v1/pixel", tag.src).href + "?site=" + encodeURIComponent(site);
  var member = tag.getAttribute("data-member") || null;
  var STORE = "omnistream_vid";

  function rid() {
    if (w.crypto && w.crypto.randomUUID) {
      return w.crypto.randomUUID();
    }
    var s = "";
    for (var i = 0; i < 4; i++) {
      s += Math.floor((1 + Math.random()) * 0x100000000).toString(16).substring(1);
    }
    return s;
  }

  var pageVisitor = null;
  function visitor() {
    try {
      var v = w.localStorage.getItem(STORE);
      if (!v) {
        v = rid();
        w.localStorage.setItem(STORE, v);
      }
      return v;
    } catch (e) {
      pageVisitor = pageVisitor || rid(); // storage blocked: one id per page
      return pageVisitor;
    }
  }

  function send(report) {
    report.visitor_id = visitor();
    report.event_id = rid();
    if (member && !report.member_id) {
      report.member_id = member;
    }
    var body = JSON.stringify(report);
    try {
      if (w.navigator.sendBeacon && w.navigator.sendBeacon(endpoint, body)) {
        return;
      }
    } catch (e) { /* fall back to fetch */ }
    try {
      w.fetch(endpoint, {
        method: "POST", body: body, keepalive: true, mode: "cors", credentials: "omit",
        headers: { "Content-Type": "text/plain;charset=UTF-8" }
      });
    } catch (e) { /* reporting must never break the page */ }
  }

  var api = {
    identify: function (memberId) {
      member = memberId ? String(memberId) : null;
    },
    pageview: function () {
      send({ type: "pageview", url: w.location.href, referrer: d.referrer || undefined, title: d.title || undefined });
    },
    order: function (o) {
      o = o || {};
      send({
        type: "order", order_id: o.order_id, amount: o.amount, currency: o.currency,
        member_id: o.member_id, url: w.location.href
      });
    }
  };
  var queued = (w.omnistream && w.omnistream.q) || [];
  w.omnistream = api;
  function replay(identifyCalls) {
    for (var i = 0; i < queued.length; i++) {
      var call = queued[i];
      if (call && api[call[0]] && (call[0] === "identify") === identifyCalls) {
        api[call[0]](call[1]);
      }
    }
  }
  replay(true); // the member first, so the page view carries it
  api.pageview();
  replay(false);
})(window, document);
