/* Offpeak: offer the browser's own time zone in an empty time zone field of the subscription forms.
   Without this file the field stays as the server filled it (empty: the region's own time). No inline script. */
(function () {
  "use strict";

  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) { return; }
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    if (input.value) { return; }
    var list = input.list;
    var known = !list || Array.prototype.some.call(list.options, function (option) { return option.value === zone; });
    if (known) { input.value = zone; }
  });
}());
