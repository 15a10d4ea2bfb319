/* Offpeak release night: keep the admin's release-night table current without a reload.
   The page is complete without this file (reload it by hand). Every few seconds it asks night/data.json for the
   windows' states, countdown targets, notice progress and buttons, and it ticks the countdowns every second in
   between. No inline script, no framework, text only (never HTML) from the server. */
(function () {
  "use strict";

  var table = document.getElementById("night-table");
  if (!table || typeof window.fetch !== "function") { return; }
  var url = table.getAttribute("data-night-url");
  var every = (parseInt(table.getAttribute("data-night-poll"), 10) || 5) * 1000;
  var texts = {
    starts: table.getAttribute("data-text-starts"),
    due: table.getAttribute("data-text-due"),
    ends: table.getAttribute("data-text-ends"),
    overrun: table.getAttribute("data-text-overrun")
  };
  var live = document.querySelector("[data-night-live]");
  var stale = document.querySelector("[data-night-stale]");
  var skew = 0; // the server's clock minus this browser's, from the last answer

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function clock(seconds) {
    var size = Math.abs(seconds);
    return Math.floor(size / 3600) + ":" + pad(Math.floor(size % 3600 / 60)) + ":" + pad(size % 60);
  }

  function tick() {
    table.querySelectorAll("[data-field='countdown']").forEach(function (cell) {
      var template = texts[cell.getAttribute("data-kind")];
      var target = Date.parse(cell.getAttribute("data-target") || "");
      if (!template || isNaN(target)) { return; }
      var seconds = Math.floor((target - (Date.now() + skew)) / 1000);
      cell.textContent = template.replace("{clock}", clock(seconds));
    });
  }

  function fill(list, items) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
  }

  function update(row, data) {
    row.className = "night-" + data.status + (data.overrun ? " night-overrun" : "");
    row.querySelector("[data-field='status']").textContent = data.status_label;
    var cell = row.querySelector("[data-field='countdown']");
    cell.setAttribute("data-kind", data.countdown.kind);
    cell.setAttribute("data-target", data.countdown.target || "");
    cell.textContent = data.countdown.text;
    var list = row.querySelector("[data-field='progress'] ul");
    if (list && data.progress.length) {
      fill(list, data.progress.map(function (line) { return line.text; }));
    }
    var actions = row.querySelector("[data-field='actions']");
    if (actions) {
      while (actions.firstChild) { actions.removeChild(actions.firstChild); }
      data.actions.forEach(function (action) {
        var link = document.createElement("a");
        link.className = "button";
        link.href = action.url;
        link.textContent = action.label;
        actions.appendChild(link);
        actions.appendChild(document.createTextNode(" "));
      });
    }
  }

  function refresh() {
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        skew = Date.parse(data.now) - Date.now();
        data.windows.forEach(function (window_) {
          var row = document.getElementById("night-window-" + window_.id);
          if (row) { update(row, window_); }
        });
        table.setAttribute("data-night-updated", data.now);
        if (stale) { stale.hidden = true; }
      })
      .catch(function () {
        if (stale) { stale.hidden = false; }
      });
  }

  if (live) { live.hidden = false; }
  window.setInterval(tick, 1000);
  window.setInterval(refresh, every);
  refresh();
}());
