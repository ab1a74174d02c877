// multicert page script: what htmx does not do by itself. No inline script
// is allowed by the Content-Security-Policy, so behaviour lives here.
(function () {
  "use strict";

  function flash(message) {
    var box = document.getElementById("flash");
    if (!box) { window.alert(message); return; }
    box.innerHTML = "";
    var div = document.createElement("div");
    div.className = "alert error";
    div.textContent = message;
    box.appendChild(div);
    box.focus();
  }

  // A request that never reached the server, or died on the way.
  document.addEventListener("htmx:sendError", function () {
    flash("無法連線到伺服器，請檢查網路連線後再試一次。");
  });
  document.addEventListener("htmx:timeout", function () {
    flash("伺服器回應逾時，請稍後再試。");
  });

  // Ask before destructive actions: <form data-confirm="確定要刪除嗎？">.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);
  document.addEventListener("htmx:confirm", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && e.target.tagName !== "FORM") {
      e.preventDefault();
      if (window.confirm(msg)) { e.detail.issueRequest(true); }
    }
  });

  // After an error is swapped into #flash, move focus there so that screen
  // readers and keyboard users notice it.
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "flash") { e.detail.target.focus(); }
  });
})();

// Upload progress: a form with data-progress="id" sent by htmx shows the
// bytes sent in <progress id="id">.
(function () {
  "use strict";
  document.addEventListener("htmx:xhr:progress", function (e) {
    var form = e.target.closest ? e.target.closest("form[data-progress]") : null;
    if (!form) { return; }
    var bar = document.getElementById(form.getAttribute("data-progress"));
    if (!bar || !e.detail.lengthComputable) { return; }
    bar.hidden = false;
    bar.value = Math.round(e.detail.loaded * 100 / e.detail.total);
  });
})();
