// Dashboard charts (Chart.js served locally). Data comes from a JSON block, not inline script.
(function () {
  "use strict";
  var node = document.getElementById("dashboard-data");
  if (!node || typeof Chart === "undefined") return;
  var data = JSON.parse(node.textContent);
  var names = {};
  data.codes.forEach(function (code, i) { names[code] = data.names[i]; });
  function bar(id, rows, label, horizontal) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: "bar",
      data: {labels: rows.map(function (r) { return names[r[0]] || r[0]; }),
             datasets: [{label: label, data: rows.map(function (r) { return r[1]; }), backgroundColor: "#1d4e89"}]},
      options: {indexAxis: horizontal ? "y" : "x", maintainAspectRatio: false, animation: false,
                plugins: {legend: {display: false}}}
    });
  }
  bar("chart-category", data.category, "工单数", true);
  bar("chart-prefecture", data.prefecture, "工单数", true);
  var canvas = document.getElementById("chart-day");
  if (canvas) {
    new Chart(canvas, {
      type: "line",
      data: {labels: data.day.map(function (r) { return r[0].slice(5); }),
             datasets: [{label: "工单数", data: data.day.map(function (r) { return r[1]; }), borderColor: "#1d4e89", tension: 0.2}]},
      options: {maintainAspectRatio: false, animation: false, plugins: {legend: {display: false}}}
    });
  }
})();
