// The new-call form: registered children the call may be about (可能相关的在册儿童), fetched as the operator
// types the child's name, the caller's phone, the address or the county; 关联 puts the child's number into
// the hidden field child_number, and the ticket is linked to that child when it is created.
// This is the operator's own activity (no X-Hotline-Poll header); what was typed goes in a POST body, never
// in a URL. Everything from the server is inserted as text (never as HTML).
(function () {
  "use strict";
  var panel = document.getElementById("child-panel");
  if (!panel) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var url = panel.getAttribute("data-suggest");
  var body = document.getElementById("child-suggest-body");
  var hidden = document.getElementById("f-child-number");
  var chosen = document.getElementById("child-chosen");
  var chosenNumber = document.getElementById("child-chosen-number");
  var PHONE = /^[0-9+\-\s()（）]*$/;
  var timer = null, seq = 0, lastKey = null;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function value(id) {
    var node = document.getElementById(id);
    return node ? node.value.trim() : "";
  }

  function choose(number) {
    hidden.value = number || "";
    chosenNumber.textContent = number || "";
    chosen.hidden = !number;
  }

  function render(list) {
    clear(body);
    body.className = list.length ? "" : "muted";
    if (!list.length) { body.textContent = "没有找到可能相关的在册儿童。"; return; }
    list.forEach(function (c) {
      var item = el("div", null, "child-suggestion");
      item.setAttribute("data-child", c.number);
      var p = el("p");
      var a = el("a", c.number); a.href = "/console/children/" + encodeURIComponent(c.number); a.target = "_blank";
      p.appendChild(a);
      p.appendChild(document.createTextNode(" " + c.name + (c.age !== null ? " " + c.age + " 岁" : "") +
                                            (c.status === "exited" ? "（已退出）" : "")));
      p.appendChild(el("br"));
      p.appendChild(el("span", c.village, "muted"));
      p.appendChild(el("br"));
      p.appendChild(el("span", (c.reasons || []).join("；"), "hint"));
      item.appendChild(p);
      var button = el("button", "关联"); button.type = "button";
      button.addEventListener("click", function () { choose(c.number); });
      item.appendChild(button);
      body.appendChild(item);
    });
  }

  function query() {
    var q = {name: value("f-child-name"), address: value("f-address"), county: value("f-county")};
    var phone = value("f-caller-phone");
    if (phone && PHONE.test(phone)) q.phone = phone;
    return q;
  }

  function refresh() {
    var q = query(), key = JSON.stringify(q);
    if (key === lastKey) return;
    lastKey = key;
    if (!q.name && !q.phone && !q.address) {
      clear(body); body.className = "muted"; body.textContent = "输入儿童姓名、来电号码、地址或县（市、区）后显示。";
      return;
    }
    var mine = ++seq;
    Object.keys(q).forEach(function (k) { if (!q[k]) delete q[k]; });
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json"},
      body: JSON.stringify(q)
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (mine !== seq) return;
      if (!data) { lastKey = null; return; }
      render(data.suggestions || []);
    }).catch(function () { lastKey = null; });
  }
  function schedule(delay) { clearTimeout(timer); timer = setTimeout(refresh, delay); }

  ["f-child-name", "f-caller-phone", "f-address"].forEach(function (id) {
    var node = document.getElementById(id);
    if (node) node.addEventListener("input", function () { schedule(400); });
  });
  var county = document.getElementById("f-county");
  if (county) county.addEventListener("change", function () { schedule(100); });
  // the triage script may fill the county from the call's text: look again once it has answered
  var text = document.getElementById("f-text");
  if (text) text.addEventListener("input", function () { schedule(1500); });
  document.getElementById("child-unchoose").addEventListener("click", function () { choose(""); });
  if (value("f-child-name") || value("f-caller-phone") || value("f-address")) refresh();
})();
