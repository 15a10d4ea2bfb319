/* Offpeak: show window times in the viewer's own time zone, with a countdown.
   The page is complete without this file; it only fills in [data-viewer] blocks. No inline script, no framework. */
(function () {
  "use strict";

  // The first use of Intl costs tens of milliseconds on a phone, and each date format with zone names as much again:
  // they are built only for what the page has to fill in, so a page with no time on it (the SLA, the history) pays
  // nothing.
  var viewerTimes = document.querySelectorAll("[data-viewer-time]");
  var viewerShorts = document.querySelectorAll("[data-viewer-short]");
  var countdowns = document.querySelectorAll("[data-countdown]");
  var usesIntl = viewerTimes.length || viewerShorts.length || countdowns.length;
  var lang = document.documentElement.lang || undefined;
  var zone = usesIntl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  var relative = usesIntl && typeof Intl.RelativeTimeFormat === "function" ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;

  function parse(value) {
    var date = new Date(value);
    return isNaN(date.getTime()) ? null : date;
  }

  function inWords(ms) {
    var seconds = Math.round(ms / 1000);
    var size = Math.abs(seconds);
    if (size >= 2 * 86400) { return relative.format(Math.round(seconds / 86400), "day"); }
    if (size >= 2 * 3600) { return relative.format(Math.round(seconds / 3600), "hour"); }
    if (size >= 60) { return relative.format(Math.round(seconds / 60), "minute"); }
    return relative.format(seconds, "second");
  }

  // The countdowns' words: on the element, or once for the whole page.
  var sharedWords = document.querySelector("[data-countdown-words]");

  function sharedOr(element, name) {
    return element.getAttribute(name) || (sharedWords && sharedWords.getAttribute(name));
  }

  function tick(element) {
    var start = parse(element.getAttribute("data-start"));
    var end = parse(element.getAttribute("data-end"));
    if (!start || !end || !relative) { return; }
    var now = Date.now();
    var template;
    var words;
    if (now < start.getTime()) {
      template = sharedOr(element, "data-before");
      words = inWords(start.getTime() - now);
    } else if (now < end.getTime()) {
      template = sharedOr(element, "data-during");
      words = inWords(end.getTime() - now);
    } else {
      template = sharedOr(element, "data-after");
      words = inWords(end.getTime() - now);
    }
    element.textContent = "(" + (template || "{when}").replace("{when}", words) + ")";
  }

  var timeFormat = viewerTimes.length && new Intl.DateTimeFormat(lang, {
    weekday: "long", year: "numeric", month: "long", day: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short"
  });
  viewerTimes.forEach(function (element) {
    var date = parse(element.getAttribute("data-viewer-time"));
    if (!date) { return; }
    element.textContent = timeFormat.format(date);
    element.setAttribute("title", zone);
    element.setAttribute("data-viewer-zone", zone);
    var box = element.closest("[data-viewer]");
    if (box) { box.hidden = false; }
  });

  // The overview: a short form of the viewer's time; the region's time and UTC move to the hover title.
  var shortFormat = viewerShorts.length && new Intl.DateTimeFormat(lang, {
    weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    timeZoneName: "short"
  });
  viewerShorts.forEach(function (element) {
    var date = parse(element.getAttribute("data-viewer-short"));
    if (!date) { return; }
    var zoneTimes = element.parentNode.querySelector(".zone-times");
    element.textContent = shortFormat.format(date);
    element.setAttribute("data-viewer-zone", zone);
    if (zoneTimes) {
      var said = Array.prototype.map.call(zoneTimes.childNodes, function (node) { return node.textContent.trim(); });
      element.setAttribute("title", said.filter(Boolean).join(" · "));
      zoneTimes.hidden = true;
    }
  });

  // The follow-the-sun strip: the viewer's own midnight on the release day, as an hour of the UTC axis.
  document.querySelectorAll("svg[data-day]").forEach(function (svg) {
    var marker = svg.querySelector("[data-viewer-midnight]");
    var parts = (svg.getAttribute("data-day") || "").split("-").map(Number);
    if (!marker || parts.length !== 3) { return; }
    var noon = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2], 12));
    var hour = (((noon.getTimezoneOffset() / 60) % 24) + 24) % 24; // local midnight = UTC hour + offset
    var x = Number(svg.getAttribute("data-x0")) + Number(svg.getAttribute("data-axis")) * hour / 24;
    var line = marker.querySelector("line");
    var label = marker.querySelector("text");
    line.setAttribute("x1", x);
    line.setAttribute("x2", x);
    label.setAttribute("x", x);
    marker.setAttribute("class", hour < 6 ? "midnight shown start" : "midnight shown");
    marker.setAttribute("data-hour", String(hour));
  });

  countdowns.forEach(tick);
  if (countdowns.length) {
    window.setInterval(function () { countdowns.forEach(tick); }, 1000);
  }
}());
