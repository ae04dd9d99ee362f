// Console behaviour: live triage while the operator types, emergency banner, deadline preview,
// countdowns. Everything from the server is inserted as text (never as HTML).
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  // "...【命中】..." -> text nodes with <mark> around the matched terms
  function highlighted(text) {
    var span = el("span");
    String(text).split(/(【[^】]*】)/).forEach(function (part) {
      if (/^【[^】]*】$/.test(part)) span.appendChild(el("mark", part.slice(1, -1)));
      else if (part) span.appendChild(document.createTextNode(part));
    });
    return span;
  }
  // Every time shown is Beijing time (UTC+8, no daylight saving), whatever the browser's own zone.
  function fmt(iso) {
    var ms = iso ? Date.parse(iso) : NaN;
    return isNaN(ms) ? "—" : new Date(ms + 8 * 3600000).toISOString().slice(0, 16).replace("T", " ");
  }

  // --- countdowns (inbox, callback queue, ticket page) ------------------------------------------
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (node) {
      var due = Date.parse(node.getAttribute("data-due"));
      if (isNaN(due)) return;
      var minutes = Math.round((due - now) / 60000), abs = Math.abs(minutes);
      var span = abs >= 1440 ? Math.floor(abs / 1440) + "天" + Math.floor((abs % 1440) / 60) + "小时"
                             : Math.floor(abs / 60) + "小时" + (abs % 60) + "分";
      node.textContent = fmt(node.getAttribute("data-due")) + (minutes >= 0 ? "（剩余 " + span + "）" : "（已超时 " + span + "）");
      node.classList.toggle("late", minutes < 0);
    });
  }
  tick();
  setInterval(tick, 30000);

  // --- new-ticket screen ---------------------------------------------------------------------------
  var form = document.getElementById("call-form");
  if (!form) return;
  var text = document.getElementById("f-text");
  var selects = ["category", "kind", "urgency", "prefecture", "county"].map(function (n) {
    return document.getElementById("f-" + n);
  });
  var touched = {};
  selects.forEach(function (s) { s.addEventListener("change", function () { touched[s.name] = true; refreshEmergency(); preview(); }); });
  var banner = document.getElementById("emergency-banner"), police = document.getElementById("police-step");
  var lastSuggestion = null, timer = null, seq = 0;

  function refreshEmergency() {
    var urgent = document.getElementById("f-urgency").value === "emergency";
    banner.hidden = !urgent;
    police.hidden = !urgent;
    document.getElementById("f-police-notified").required = urgent;
  }

  function preview() {
    var u = document.getElementById("f-urgency").value, k = document.getElementById("f-kind").value;
    var out = document.getElementById("deadline-preview");
    if (!u || !k) { out.textContent = "选择紧急程度和诉求类型后显示时限。"; return; }
    fetch("/console/deadlines?urgency=" + encodeURIComponent(u) + "&kind=" + encodeURIComponent(k), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        out.textContent = "签收时限 " + fmt(d.sign) + (d.first_feedback ? "；首次反馈 " + fmt(d.first_feedback) : "") + "；办结时限 " + fmt(d.resolve);
      });
  }

  function renderSuggestion(data) {
    var body = document.getElementById("triage-body");
    clear(body);
    var s = data.suggestion;
    if (!s) { body.appendChild(el("p", "输入诉求后自动分析。", "muted")); return; }
    if (!s.category) {
      body.appendChild(el("p", "模型未就绪，请人工分类。" + (s.urgency === "emergency" ? "（检测到紧急情形）" : ""), "muted"));
    } else {
      var names = data.names || {};
      var dl = el("dl");
      [["分类", names.category], ["类型", names.kind], ["紧急程度", names.urgency],
       ["主办", names.agency], ["协办", (names.co_agencies || []).join("、") || "—"],
       ["地区", (s.prefecture || "未识别") + (s.county ? " " + s.county : "")],
       ["置信度", s.confidence !== null ? Math.round(s.confidence * 100) + "%" : "—"]].forEach(function (row) {
        dl.appendChild(el("dt", row[0])); dl.appendChild(el("dd", row[1] || "—"));
      });
      body.appendChild(dl);
      if (s.needs_review) body.appendChild(el("p", "把握不大，请人工确认。", "badge review"));
      if (s.possible_emergency) {
        body.appendChild(el("p", "疑似特急：请向来电人核实孩子此刻是否安全、身边是否有人照看；属实请将紧急程度改为“特急”。",
                            "badge emergency possible-emergency"));
      }
    }
    var terms = el("div", null, "terms");
    ((s.explanation || {}).category || []).slice(0, 8).forEach(function (t) { terms.appendChild(el("span", t[0])); });
    ((s.explanation || {}).cues || []).forEach(function (c) { terms.appendChild(el("span", "紧急线索：" + c.split(":").pop())); });
    if (terms.childNodes.length) { body.appendChild(el("h3", "依据词语")); body.appendChild(terms); }
    // fill the selects the operator has not chosen by hand
    selects.forEach(function (sel) {
      var v = s[sel.name];
      if (!touched[sel.name] && v) sel.value = v;
    });
    document.getElementById("emergency-cues").textContent = ((s.explanation || {}).cues || []).map(function (c) { return c.split(":").pop(); }).join("、");
    refreshEmergency();
    preview();
  }

  function renderKb(data) {
    var box = document.getElementById("kb-body");
    if (!("kb" in data)) return;
    clear(box);
    if (!data.kb.length) { box.appendChild(el("p", "没有找到相关知识。", "muted")); }
    data.kb.forEach(function (hit) {
      var item = el("div", null, "kb-hit");
      var link = el("a", hit.title); link.href = "/kb/articles/" + encodeURIComponent(hit.article_id || hit.id) + "#" + encodeURIComponent(hit.id); link.target = "_blank";
      item.appendChild(link);
      var p = el("p"); p.appendChild(highlighted(hit.snippet)); item.appendChild(p);
      var use = el("button", "引用此条答复"); use.type = "button";
      use.addEventListener("click", function () {
        document.getElementById("f-answer").value = hit.text.slice(0, 600);
        document.getElementById("f-article").value = hit.id;
      });
      item.appendChild(use);
      if (hit.cites && hit.cites.length) {
        var cites = el("details", null, "kb-cites");
        cites.appendChild(el("summary", "依据原文（" + hit.cites.length + " 条）"));
        hit.cites.forEach(function (c) {
          var cite = el("div", null, "kb-cite");
          var to = el("a", c.title); to.href = "/kb/articles/" + encodeURIComponent(c.id.split("#")[0]) + "#" + encodeURIComponent(c.id); to.target = "_blank";
          cite.appendChild(to);
          cite.appendChild(el("p", c.text));
          cites.appendChild(cite);
        });
        item.appendChild(cites);
      }
      box.appendChild(item);
    });
    (data.eligibility || []).forEach(function (e, i) {
      if (i === 0) box.appendChild(el("h3", "可能符合的政策（政策找人）"));
      var p = el("p"); var a = el("a", e.benefit); a.href = "/kb/articles/" + encodeURIComponent(e.article_id) + "#" + encodeURIComponent(e.passage_id); a.target = "_blank";
      p.appendChild(a); p.appendChild(document.createTextNode("：" + e.why)); box.appendChild(p);
    });
  }

  function renderHistory(data) {
    var box = document.getElementById("history-body");
    clear(box);
    if (!data.history.length) { box.appendChild(el("p", "近 90 天没有相关工单。", "muted")); return; }
    data.history.forEach(function (h) {
      var p = el("p");
      var a = el("a", h.number); a.href = "/console/tickets/" + h.number; a.target = "_blank";
      p.appendChild(a);
      p.appendChild(document.createTextNode(" " + fmt(h.received_at) + " " + h.text));
      var link = el("button", "设为重复件"); link.type = "button";
      link.addEventListener("click", function () { document.getElementById("f-merge").value = h.number; });
      p.appendChild(link);
      box.appendChild(p);
    });
  }

  function assist() {
    var mine = ++seq;
    fetch("/console/triage", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json"},
      body: JSON.stringify({text: text.value, phone: document.getElementById("f-caller-phone").value,
                            child_name: document.getElementById("f-child-name").value,
                            address: document.getElementById("f-address").value})
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data || mine !== seq) return;
      lastSuggestion = data;
      renderSuggestion(data); renderKb(data); renderHistory(data);
    });
  }
  function schedule() { clearTimeout(timer); timer = setTimeout(assist, 300); }
  ["f-text", "f-caller-phone", "f-child-name", "f-address"].forEach(function (id) {
    document.getElementById(id).addEventListener("input", schedule);
  });
  if (text.value) assist();
  refreshEmergency();
})();
