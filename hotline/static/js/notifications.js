// The header's notification badge, and lists that keep themselves current without a reload.
// - Every 20 s: GET the summary ({"unread": n, "latest_id": m}) and update the badge.
// - A page with containers marked [data-live] (each with an id) fetches itself again when latest_id
//   changes, or every 30 s, and swaps each container whose content changed, in place.
// Both requests carry X-Hotline-Poll: 1 (they do not keep an idle session alive); a 401 or a redirect to
// the login page stops polling. Content is parsed with DOMParser (no script runs) and only same-id
// containers of this page's own HTML are swapped. No inline script: the CSP allows 'self' only.
(function () {
  "use strict";
  var bell = document.getElementById("notify-bell");
  if (!bell) return;
  var badge = document.getElementById("notify-count");
  var SUMMARY_MS = 20000, LIST_MS = 30000, CAP = 100;
  var latest = bell.getAttribute("data-latest") || "";
  var stopped = false, listBusy = false, lastList = Date.now();

  function request(url, accept) {
    return fetch(url, {credentials: "same-origin", cache: "no-store",
                       headers: {"Accept": accept, "X-Hotline-Poll": "1"}});
  }
  function ended(r) {  // the session is over: stop asking
    if (r.status === 401 || r.redirected) { stopped = true; return true; }
    return false;
  }

  function show(unread) {
    badge.textContent = unread >= CAP ? (CAP - 1) + "+" : String(unread);
    badge.hidden = !unread;
    bell.title = unread ? "通知（" + unread + " 条未读）" : "通知";
  }

  // what a container shows, without the live countdowns console.js writes into it
  function normalised(node) {
    var copy = node.cloneNode(true);
    copy.querySelectorAll("[data-due]").forEach(function (n) { n.textContent = ""; n.removeAttribute("class"); });
    return copy.innerHTML;
  }

  function swap(node, fresh) {
    var countdowns = {};
    node.querySelectorAll("[data-due]").forEach(function (n) {
      countdowns[n.getAttribute("data-due")] = [n.textContent, n.className];
    });
    var replacement = document.importNode(fresh, true);
    replacement.querySelectorAll("[data-due]").forEach(function (n) {  // keep the countdown's text until its next tick
      var old = countdowns[n.getAttribute("data-due")];
      if (old) { n.textContent = old[0]; n.className = old[1]; }
    });
    node.parentNode.replaceChild(replacement, node);
  }

  function refreshList() {
    if (stopped || listBusy || !document.querySelector("[data-live][id]")) return;
    listBusy = true;
    lastList = Date.now();
    request(window.location.href, "text/html").then(function (r) {
      if (ended(r) || !r.ok) return null;
      return r.text();
    }).then(function (html) {
      if (!html) return;
      var doc = new DOMParser().parseFromString(html, "text/html");
      document.querySelectorAll("[data-live][id]").forEach(function (node) {
        var fresh = doc.getElementById(node.id);
        if (!fresh || !fresh.hasAttribute("data-live")) return;
        var focused = document.activeElement;
        if (focused && focused !== document.body && node.contains(focused)) return;  // not under the user's hands
        if (normalised(fresh) !== normalised(node)) swap(node, fresh);
      });
    }).catch(function () { /* offline for a moment: the next round tries again */ }).then(function () {
      listBusy = false;
    });
  }

  function poll() {
    if (stopped || document.hidden) return;
    request(bell.getAttribute("data-summary"), "application/json").then(function (r) {
      if (ended(r) || !r.ok) return null;
      return r.json();
    }).then(function (data) {
      if (!data) return;
      show(data.unread);
      var newest = String(data.latest_id);
      if (newest !== latest) { latest = newest; refreshList(); }
    }).catch(function () { /* the next round tries again */ });
  }

  setInterval(poll, SUMMARY_MS);
  setInterval(function () {
    if (!document.hidden && Date.now() - lastList >= LIST_MS - 1000) refreshList();
  }, LIST_MS);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { poll(); refreshList(); }
  });
})();
