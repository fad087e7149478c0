// Findings filters: level, test and text. The state lives in the location hash
// (#severity=error&test=check&q=text) so a filtered view can be linked and reloaded.
(function () {
  "use strict";
  var level = document.getElementById("f-severity");
  var test = document.getElementById("f-test");
  var text = document.getElementById("f-text");
  if (!level || !test || !text) return;
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.finding"));
  var count = document.getElementById("f-count");
  var none = document.getElementById("f-none");

  function apply(updateHash) {
    var l = level.value, t = test.value, q = text.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!l || row.getAttribute("data-severity") === l) &&
        (!t || row.getAttribute("data-test") === t) &&
        (!q || row.textContent.toLowerCase().indexOf(q) !== -1);
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    count.textContent = shown + " of " + rows.length + " shown";
    none.hidden = shown !== 0;
    document.body.setAttribute("data-filter", [l, t, q].join("|"));
    if (updateHash) {
      var params = new URLSearchParams();
      if (l) params.set("severity", l);
      if (t) params.set("test", t);
      if (q) params.set("q", text.value.trim());
      var hash = params.toString();
      try {
        history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
      } catch (e) { /* some browsers refuse on file:// */ }
    }
  }

  function load() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    level.value = params.get("severity") || "";
    test.value = params.get("test") || "";
    text.value = params.get("q") || "";
    apply(false);
  }

  level.addEventListener("change", function () { apply(true); });
  test.addEventListener("change", function () { apply(true); });
  text.addEventListener("input", function () { apply(true); });
  window.addEventListener("hashchange", load);
  load();
})();
