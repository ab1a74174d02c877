// multicert's first script: loaded in <head> without defer, before the page
// is drawn, so that what it guards holds from the first click. The rest of
// the page's behaviour (app.js, htmx) is deferred: a destructive form
// pressed before those arrived (a slow network) was once sent without its
// question.
(function () {
  "use strict";
  // Ask before destructive actions: <form data-confirm="確定要刪除嗎？">. In
  // the capture phase and registered first, so that every other submit
  // listener (the double-submit guard, htmx) sees only confirmed submits.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);
})();
