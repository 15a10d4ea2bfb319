/* Offpeak: show window times in the viewer's own time zone, with a countdown.
   The page is complete without this file; it only fills in [data-viewer] blocks. No inline script, no framework. */
(function () {
  "use strict";

  var lang = document.documentElement.lang || undefined;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var timeFormat = new Intl.DateTimeFormat(lang, {
    weekday: "long", year: "numeric", month: "long", day: "numeric",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short"
  });
  var relative = typeof Intl.RelativeTimeFormat === "function" ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;

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

  function tick(element) {
    var start = parse(element.getAttribute("data-start"));
    var end = parse(element.getAttribute("data-end"));
    if (!start || !end || !relative) { return; }
    var now = Date.now();
    var template;
    var words;
    if (now < start.getTime()) {
      template = element.getAttribute("data-before");
      words = inWords(start.getTime() - now);
    } else if (now < end.getTime()) {
      template = element.getAttribute("data-during");
      words = inWords(end.getTime() - now);
    } else {
      template = element.getAttribute("data-after");
      words = inWords(end.getTime() - now);
    }
    element.textContent = "(" + (template || "{when}").replace("{when}", words) + ")";
  }

  document.querySelectorAll("[data-viewer-time]").forEach(function (element) {
    var date = parse(element.getAttribute("data-viewer-time"));
    if (!date) { return; }
    element.textContent = timeFormat.format(date);
    element.setAttribute("title", zone);
    element.setAttribute("data-viewer-zone", zone);
    var box = element.closest("[data-viewer]");
    if (box) { box.hidden = false; }
  });

  var countdowns = document.querySelectorAll("[data-countdown]");
  countdowns.forEach(tick);
  if (countdowns.length) {
    window.setInterval(function () { countdowns.forEach(tick); }, 1000);
  }
}());
