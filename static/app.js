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
    div.setAttribute("role", "alert");
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

// Accessibility after page loads and htmx swaps: the error summary, focus,
// the page's status message and the title.
(function () {
  "use strict";

  // focusOn moves focus to el, making it focusable by script if it is not.
  function focusOn(el) {
    if (!el) { return false; }
    if (!el.matches("a[href], button, input, select, textarea, [tabindex]")) { el.setAttribute("tabindex", "-1"); }
    el.focus();
    return document.activeElement === el;
  }

  // The error summary lists its links in the order of the fields on the
  // page, marks those fields invalid and described by their line, shows in
  // the title and, unless the user is typing, takes focus.
  function showSummary(summary, focus) {
    var list = summary.querySelector("ul");
    if (list) {
      var items = Array.prototype.slice.call(list.children);
      items.forEach(function (li) {
        var a = li.querySelector('a[href^="#"]');
        if (!a) { return; }
        var field = fieldOf(li);
        if (!field) { // a group of radios or a field named otherwise: its first control
          var key = a.getAttribute("href").slice(1);
          key = key.replace(/[^\w-]/g, "");
          field = document.querySelector('[data-error-for~="' + key + '"], [name="' + key + '"]');
          if (field) {
            if (!field.id) { field.id = "field-" + key; }
            a.setAttribute("href", "#" + field.id);
          } else {
            li.textContent = a.textContent; // nothing to go to
            return;
          }
        }
        if (!li.id) { li.id = "error-summary-" + field.id; }
        field.setAttribute("aria-invalid", "true");
        var by = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
        if (!by.some(function (id) { var el = document.getElementById(id); return el && el.classList.contains("field-error"); }) && by.indexOf(li.id) < 0) {
          by.push(li.id);
          field.setAttribute("aria-describedby", by.join(" "));
          field.setAttribute("data-summary-described", li.id);
        }
      });
      items.sort(function (a, b) {
        var fa = fieldOf(a), fb = fieldOf(b);
        if (!fa || !fb) { return fa ? 1 : (fb ? -1 : 0); }
        return fa.compareDocumentPosition(fb) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
      });
      items.forEach(function (li) { list.appendChild(li); });
    }
    if (document.title.indexOf("錯誤：") !== 0) { document.title = "錯誤：" + document.title; }
    if (focus === false) { return; }
    summary.scrollIntoView({ block: "start" });
    focusOn(summary);
  }
  function fieldOf(li) {
    var a = li.querySelector('a[href^="#"]');
    return a ? document.getElementById(a.getAttribute("href").slice(1)) : null;
  }

  // A form answered by a swap elsewhere on the page (a search whose results
  // hold the summary): its fields marked from an earlier answer are cleared
  // before the new answer marks its own.
  function clearMarks(form) {
    if (!form) { return; }
    form.querySelectorAll("[data-summary-described]").forEach(function (field) {
      var id = field.getAttribute("data-summary-described");
      var by = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== id; });
      if (by.length) { field.setAttribute("aria-describedby", by.join(" ")); } else { field.removeAttribute("aria-describedby"); }
      field.removeAttribute("data-summary-described");
      field.removeAttribute("aria-invalid");
    });
  }

  // typing tells whether a request was sent while the user types (a live
  // search): its answer must not interrupt, take focus or raise an alert.
  function typing(detail) {
    var ev = detail && detail.requestConfig && detail.requestConfig.triggeringEvent;
    return !!ev && (ev.type === "input" || ev.type === "keyup");
  }
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (typing(e.detail) && typeof e.detail.serverResponse === "string") {
      e.detail.serverResponse = e.detail.serverResponse.replace(/ role="alert"/g, "");
    }
  });

  // A link of the summary moves to its field, not only to its anchor.
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("[data-error-summary] a[href^='#']");
    if (!a) { return; }
    var field = document.getElementById(a.getAttribute("href").slice(1));
    if (!field) { return; }
    e.preventDefault();
    var label = document.querySelector('label[for="' + field.id + '"]');
    (label || field).scrollIntoView({ block: "center" });
    field.focus();
  });

  // announce puts a short message into the page's one polite live region.
  function announce(text) {
    var box = document.getElementById("page-status");
    if (!box || !text) { return; }
    box.textContent = "";
    window.setTimeout(function () { box.textContent = text; }, 100);
  }
  window.multicertAnnounce = announce;

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { showSummary(summary); }
  });

  // After a swap: the error summary if the answer has one; else, when
  // focus was lost with the replaced content, the element marked
  // data-focus-after-swap, else the first heading of the swapped part, else
  // the target itself. A swap that leaves focus in place (live search as
  // one types) keeps it. The swapped content's data-status is announced.
  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail.target;
    if (target && !target.isConnected && target.id) { target = document.getElementById(target.id); } // swapped outerHTML
    if (!target || target.id === "flash" || !target.isConnected) { return; }
    var scope = target.closest("[data-swap-scope]") || target;
    var status = scope.querySelector("[data-status]");
    if (status) { announce(status.getAttribute("data-status") || status.textContent.trim()); }
    if (target.matches("[data-field-msg]")) { return; } // a live field check: see below
    var elt = e.detail.requestConfig && e.detail.requestConfig.elt;
    var form = elt && elt.closest ? elt.closest("form") : null;
    if (form && !target.contains(form)) { clearMarks(form); }
    var summary = scope.querySelector("[data-error-summary]");
    if (summary) {
      showSummary(summary, !typing(e.detail));
      if (typing(e.detail)) { announce("查詢條件有誤：" + summary.querySelector("ul").textContent.trim()); }
      return;
    }
    if (document.title.indexOf("錯誤：") === 0 && !document.querySelector("[data-error-summary]")) {
      document.title = document.title.slice(3);
    }
    var active = document.activeElement;
    if (active && active !== document.body && active.isConnected) { return; }
    focusOn(scope.querySelector("[data-focus-after-swap]")) ||
      focusOn(scope.querySelector("h1, h2, h3")) ||
      focusOn(target);
  });

  // A live field check answers into the field's message box
  // (data-field-msg): the field is marked invalid while the box holds an
  // error, and the message is announced politely, once the user has left
  // the field (the checks run on change).
  document.addEventListener("htmx:afterSwap", function (e) {
    var box = e.detail.target;
    if (!box || !box.matches || !box.matches("[data-field-msg]")) { return; }
    var error = box.querySelector(".field-error");
    document.querySelectorAll('[aria-describedby~="' + box.id + '"]').forEach(function (field) {
      if (!field.matches("input, select, textarea")) { return; }
      if (error) { field.setAttribute("aria-invalid", "true"); } else { field.removeAttribute("aria-invalid"); }
    });
    var text = box.textContent.trim();
    if (text) { announce(text); }
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
