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

  // Ask before destructive actions: a form's data-confirm is asked by
  // early.js; an element's other than a form, here, when htmx would send it.
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
    if (elt && elt.closest && elt.closest("[data-draft-restoring]")) { return; } // a restored draft reloading its choices
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

// Double submits: a form that changes something (POST), being sent, takes
// no second submit (a double click, Enter pressed twice) until its answer
// has come; a search (GET) may be sent again at will. Its submit
// buttons say so with aria-disabled rather than disabled: a disabled
// button would drop its own name and value from the form sent, and a
// focused button that becomes disabled throws focus to <body>. An htmx
// form is released when its request ends, however it ended (an error, a
// time-out, a session that ended); a form whose answer is a download
// (data-download) a few seconds after it was sent, since the page stays;
// every form when the page comes back from the back-forward cache. The
// server answers a copy that still gets through with the first one's
// result (「此申請已送出，請勿重複送出」). Card forms (data-card-flow) are
// guarded by cardagent.js.
(function () {
  "use strict";
  var BUSY = "data-submitting";
  function buttons(form) {
    return Array.prototype.filter.call(form.querySelectorAll("button, input[type=submit]"), function (b) {
      return (b.type || "submit") === "submit" || b.tagName === "INPUT";
    }).concat(form.id ? Array.prototype.slice.call(document.querySelectorAll('[form="' + form.id + '"][type=submit]')) : []);
  }
  function busy(form) {
    form.setAttribute(BUSY, "");
    form.setAttribute("aria-busy", "true");
    buttons(form).forEach(function (b) {
      if (b.getAttribute("aria-disabled") !== "true") { b.setAttribute("aria-disabled", "true"); b.setAttribute("data-busy-button", ""); }
    });
  }
  function release(form) {
    if (!form || !form.hasAttribute(BUSY)) { return; }
    form.removeAttribute(BUSY);
    form.removeAttribute("aria-busy");
    form.querySelectorAll("[data-busy-button]").forEach(function (b) { b.removeAttribute("aria-disabled"); b.removeAttribute("data-busy-button"); });
    document.querySelectorAll('[data-busy-button][form="' + form.id + '"]').forEach(function (b) { b.removeAttribute("aria-disabled"); b.removeAttribute("data-busy-button"); });
  }
  window.multicertReleaseForm = release;
  // Only forms that change something: a search (GET) sent again just asks
  // again, and a live search replaces its own request (hx-sync).
  function changes(form) {
    return (form.getAttribute("method") || "get").toLowerCase() === "post" ||
      ["hx-post", "hx-put", "hx-patch", "hx-delete"].some(function (a) { return form.hasAttribute(a); });
  }
  // In the capture phase, after data-confirm's listener (early.js,
  // registered earlier: a submit the user did not confirm never gets here).
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || form.tagName !== "FORM" || e.defaultPrevented || form.hasAttribute("data-card-flow") || !changes(form)) { return; }
    if (form.hasAttribute(BUSY)) {
      e.preventDefault();
      e.stopImmediatePropagation();
      if (window.multicertAnnounce) { window.multicertAnnounce("正在送出，請稍候，不必再按一次。"); }
      return;
    }
    busy(form);
    if (form.hasAttribute("data-download")) {
      window.setTimeout(function () { release(form); }, 3000);
    }
  }, true);
  function ended(e) {
    var elt = e.detail && e.detail.elt;
    var form = elt && elt.closest ? elt.closest("form") : null;
    if (form && !(e.type === "htmx:afterRequest" && e.detail.successful && e.detail.xhr && e.detail.xhr.getResponseHeader("HX-Redirect"))) {
      release(form);
    }
  }
  ["htmx:afterRequest", "htmx:sendError", "htmx:timeout", "htmx:sendAbort", "htmx:responseError"].forEach(function (name) {
    document.addEventListener(name, ended);
  });
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) { document.querySelectorAll("form[" + BUSY + "]").forEach(release); }
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

// Session time-out (WCAG 2.2.1). The logged-in layouts carry the idle limit
// and how long the session lasts (data-session-idle, data-session-left);
// every answer to a request the user made says it again (X-Session-Left),
// the 工作台's polling does not move it. Some minutes before the end an
// alertdialog offers 「繼續使用」 (a POST that records activity) or 「登出」;
// at the end, or when a request is refused for want of a session (401),
// another dialog offers to log in again and come back to this page.
//
// Drafts: a form of a logged-in page is kept in sessionStorage, keyed by
// its action, when it is sent (state "pending") or when the session ends
// under it ("kept"), never its passwords, PINs, files or CSRF token. A
// logged-in page reached afterwards drops the pending ones (the form got
// through); a login page keeps them and returns there after the login; the
// form's page, logged in again, fills the form back in and says so.
(function () {
  "use strict";
  var body = document.body;
  var PREFIX = "multicert-draft:";
  var MAX_AGE = 2 * 3600 * 1000;
  var loggedIn = body.hasAttribute("data-session-idle");

  function keyOf(form) {
    return PREFIX + new URL(form.getAttribute("action") || location.href, location.href).pathname;
  }
  function private_(el) {
    return !el.name || el.disabled || el.name === "_csrf" || el.name === "next" ||
      /^(password|file|hidden|submit|button|reset|image)$/.test(el.type) ||
      /pin|passw|secret|otp/i.test(el.name + " " + (el.id || "") + " " + (el.getAttribute("autocomplete") || ""));
  }
  function draftable(form) {
    if (!form || form.tagName !== "FORM" || form.hasAttribute("data-no-draft")) { return false; }
    var post = (form.getAttribute("method") || "").toLowerCase() === "post" || form.hasAttribute("hx-post");
    return post && !/\/(logout|session|login)$/.test(new URL(form.getAttribute("action") || location.href, location.href).pathname);
  }
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) { return !private_(el); });
  }
  function saveDraft(form, state) {
    if (!draftable(form)) { return; }
    var values = [], seen = {};
    fields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") { values.push({ n: el.name, v: el.value, c: el.checked }); return; }
      var i = seen[el.name] = (seen[el.name] || 0) + 1;
      var v = el.multiple ? Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; }) : el.value;
      values.push({ n: el.name, i: i - 1, v: v });
    });
    if (!values.some(function (d) { return d.c || (d.v && d.v.length); })) { return; }
    try {
      sessionStorage.setItem(keyOf(form), JSON.stringify({ state: state, page: location.pathname + location.search, at: Date.now(), values: values }));
    } catch (err) { /* storage full or off: nothing to keep */ }
  }
  function restoreDraft(form, draft) {
    var els = fields(form);
    draft.values.forEach(function (d) {
      var same = els.filter(function (el) { return el.name === d.n; });
      if ("c" in d) {
        same.forEach(function (el) { if (el.value === d.v) { el.checked = d.c; } });
        return;
      }
      var el = same.filter(function (x) { return x.type !== "checkbox" && x.type !== "radio"; })[d.i];
      if (!el) { return; }
      if (el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = d.v.indexOf(o.value) >= 0; });
      } else {
        el.value = d.v;
      }
    });
    var wanted = {};
    draft.values.forEach(function (d) { if (!("c" in d) && d.i === 0 && typeof d.v === "string") { wanted[d.n] = d.v; } });
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () { cascade(form, wanted); });
    } else {
      cascade(form, wanted);
    }
  }
  // cascade reloads the selects whose options come from the one before
  // (an address's 縣市 → 鄉鎮市區 → 村里: <select hx-get hx-target>), in
  // order, so that the restored choices exist to be chosen: the page came
  // with the options of no 縣市, or of another one. Focus stays where it
  // is (the swaps are marked data-draft-restoring, which the focus rule
  // after a swap leaves alone).
  function cascade(form, wanted) {
    if (!window.htmx) { return; }
    function step(src) {
      var sel = src.getAttribute("hx-target");
      var target = sel ? document.querySelector(sel) : null;
      if (!src.value || !target || target.tagName !== "SELECT" || !form.contains(target) || !wanted[target.name]) { return Promise.resolve(); }
      var want = wanted[target.name];
      var has = function () { return Array.prototype.some.call(target.options, function (o) { return o.value === want; }); };
      var loaded = has() ? Promise.resolve() :
        window.htmx.ajax("GET", src.getAttribute("hx-get"), { source: src, target: target, swap: "innerHTML" });
      return loaded.then(function () {
        if (!has()) { return; } // no longer a choice: left for the person to choose
        target.value = want;
        return step(target);
      });
    }
    var firsts = Array.prototype.filter.call(form.querySelectorAll("select[hx-get][hx-target]"), function (src) {
      // the first of each chain: no select of the form loads its options
      return !Array.prototype.some.call(form.querySelectorAll("select[hx-get][hx-target]"), function (other) {
        return other !== src && document.querySelector(other.getAttribute("hx-target")) === src;
      });
    });
    form.setAttribute("data-draft-restoring", "");
    Promise.all(firsts.map(step)).then(function () { form.removeAttribute("data-draft-restoring"); },
      function () { form.removeAttribute("data-draft-restoring"); });
  }
  function drafts() {
    var out = [];
    for (var i = 0; i < sessionStorage.length; i++) {
      var k = sessionStorage.key(i);
      if (k.indexOf(PREFIX) !== 0) { continue; }
      try { out.push([k, JSON.parse(sessionStorage.getItem(k))]); } catch (err) { sessionStorage.removeItem(k); }
    }
    return out;
  }

  // What a page does with the drafts when it loads.
  try {
    var restored = false;
    drafts().forEach(function (kd) {
      var key = kd[0], d = kd[1];
      if (!d || Date.now() - d.at > MAX_AGE) { sessionStorage.removeItem(key); return; }
      if (!loggedIn) {
        if (d.state === "pending") { d.state = "kept"; sessionStorage.setItem(key, JSON.stringify(d)); }
        return;
      }
      if (d.state === "pending") { sessionStorage.removeItem(key); return; }
      var form = Array.prototype.filter.call(document.forms, function (f) { return draftable(f) && keyOf(f) === key; })[0];
      if (!form) { return; }
      restoreDraft(form, d);
      sessionStorage.removeItem(key);
      restored = true;
    });
    if (restored) {
      var box = document.getElementById("flash");
      if (box) {
        var div = document.createElement("div");
        div.className = "alert info";
        div.setAttribute("role", "status");
        div.setAttribute("data-draft-restored", "");
        div.textContent = "已還原您先前輸入的內容，請確認後再送出。";
        box.appendChild(div);
      }
    }
    if (!loggedIn) {
      // A login page after a form that did not get through: come back to it.
      var kept = drafts().filter(function (kd) { return kd[1].state === "kept"; }).sort(function (a, b) { return b[1].at - a[1].at; })[0];
      var login = document.querySelector('form[action$="/login"]');
      if (kept && login) {
        var next = login.querySelector('input[name="next"]');
        if (!next) {
          next = document.createElement("input");
          next.type = "hidden";
          next.name = "next";
          login.appendChild(next);
        }
        if (!next.value) { next.value = kept[1].page; }
      }
    }
  } catch (err) { /* no sessionStorage: drafts are a convenience */ }

  if (!loggedIn) { return; }

  // In the capture phase, before htmx takes the submit over (a form the
  // user did not confirm was stopped earlier, by data-confirm).
  document.addEventListener("submit", function (e) { saveDraft(e.target, "pending"); }, true);
  function saveAll() {
    Array.prototype.forEach.call(document.forms, function (f) { saveDraft(f, "kept"); });
  }

  var warning = document.getElementById("session-warning");
  var ended = document.getElementById("session-expired");
  var idle = Number(body.getAttribute("data-session-idle"));
  var lead = Math.min(120, idle / 3) * 1000; // the warning comes this long before the end
  var deadline = 0, warnTimer = 0, endTimer = 0, returnTo = null;

  function schedule(left) {
    deadline = Date.now() + left * 1000;
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    if (warning && warning.open && left * 1000 > lead) { closeWarning(); }
    warnTimer = window.setTimeout(showWarning, Math.max(0, deadline - lead - Date.now()));
    endTimer = window.setTimeout(showEnded, Math.max(0, deadline - Date.now()) + 1000);
  }
  function open(dialog, focus) {
    if (!dialog || dialog.open) { return; }
    if (!returnTo) { returnTo = document.activeElement; }
    dialog.showModal();
    if (focus) { focus.focus(); }
  }
  function close(dialog) {
    if (dialog && dialog.open) { dialog.close(); }
    if (!document.querySelector("dialog[open]") && returnTo && returnTo.isConnected) { returnTo.focus(); returnTo = null; }
  }
  function closeWarning() { close(warning); }
  function showWarning() {
    if (!warning || (ended && ended.open)) { return; }
    var at = warning.querySelector("[data-session-at]");
    if (at) { at.textContent = new Date(deadline).toLocaleTimeString("zh-TW", { hour: "2-digit", minute: "2-digit" }); }
    open(warning, warning.querySelector("[data-session-continue]"));
  }
  function showEnded() {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    if (!ended) { return; }
    close(warning);
    saveAll();
    var link = ended.querySelector("[data-session-relogin]");
    if (link) {
      var login = body.getAttribute("data-session-login") || link.getAttribute("href").split("?")[0];
      link.setAttribute("href", login + "?next=" + encodeURIComponent(location.pathname + location.search));
    }
    open(ended, link);
  }
  function csrf() {
    try { return JSON.parse(body.getAttribute("hx-headers"))["X-CSRF-Token"] || ""; } catch (err) { return ""; }
  }
  function extend() {
    window.fetch(body.getAttribute("data-session-extend"), {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf(), "Accept": "application/json" }
    }).then(function (res) {
      var left = res.headers.get("X-Session-Left");
      if (!res.ok || left === null) { showEnded(); return; }
      schedule(Number(left));
      closeWarning();
      if (window.multicertAnnounce) { window.multicertAnnounce("已延長使用時間。"); }
    }, function () {
      closeWarning();
      if (window.multicertAnnounce) { window.multicertAnnounce("無法連線到伺服器，請檢查網路連線後再試一次。"); }
    });
  }

  if (warning) {
    warning.querySelector("[data-session-continue]").addEventListener("click", extend);
    // Escape means the user is here: the same as 「繼續使用」.
    warning.addEventListener("cancel", function (e) { e.preventDefault(); extend(); });
  }
  if (ended) {
    ended.querySelector("[data-session-close]").addEventListener("click", function () { close(ended); });
    ended.addEventListener("cancel", function (e) { e.preventDefault(); close(ended); });
    ended.querySelector("[data-session-relogin]").addEventListener("click", saveAll);
  }

  // Every answer says how long the session lasts now.
  document.addEventListener("htmx:afterRequest", function (e) {
    var xhr = e.detail.xhr;
    if (!xhr) { return; }
    var left = xhr.getResponseHeader("X-Session-Left");
    if (left !== null && xhr.status !== 401) { schedule(Number(left)); }
    var elt = e.detail.elt;
    var form = elt && elt.closest ? elt.closest("form") : null;
    if (form && xhr.status && xhr.status !== 401 && draftable(form)) {
      try { sessionStorage.removeItem(keyOf(form)); } catch (err) { /* nothing kept */ }
    }
  });
  // A request refused for want of a session: no redirect and no swap, so
  // that the page and what was typed stay; the dialog offers to log in.
  document.addEventListener("htmx:beforeOnLoad", function (e) {
    if (e.detail.xhr && e.detail.xhr.status === 401) {
      e.preventDefault();
      showEnded();
    }
  });

  schedule(Number(body.getAttribute("data-session-left")));
})();

// Reflow: the menu folds behind a disclosure button on a narrow screen
// (without script the button stays hidden and the menu shows), and a wide
// table not already in a scroll region scrolls inside a focusable,
// labelled one of its own instead of the page.
(function () {
  "use strict";
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      toggle.setAttribute("aria-expanded", toggle.getAttribute("aria-expanded") === "true" ? "false" : "true");
    });
  }
  // The region is named and focusable only while its table is wider than
  // it: a table that fits is no extra stop for the keyboard.
  function mark(region) {
    var wide = region.scrollWidth > region.clientWidth + 1;
    if (wide && !region.hasAttribute("role")) {
      var table = region.querySelector("table");
      var caption = table.querySelector("caption");
      var heading = table.closest("section, main");
      heading = heading && heading.querySelector("h1, h2");
      var name = caption ? caption.textContent.trim() : (heading ? heading.textContent.trim() : "表格");
      region.setAttribute("role", "region");
      region.setAttribute("tabindex", "0");
      region.setAttribute("aria-label", name + "（可左右捲動）");
    } else if (!wide && region.hasAttribute("role")) {
      region.removeAttribute("role");
      region.removeAttribute("tabindex");
      region.removeAttribute("aria-label");
    }
  }
  function wrapTables(root) {
    root.querySelectorAll("table.data:not(.stack)").forEach(function (table) {
      if (table.closest(".scroll, .table-scroll")) { return; }
      var region = document.createElement("div");
      region.className = "table-scroll";
      table.parentNode.insertBefore(region, table);
      region.appendChild(table);
      mark(region);
    });
  }
  var resizing = 0;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () { document.querySelectorAll(".table-scroll").forEach(mark); }, 150);
  });
  wrapTables(document);
  document.addEventListener("htmx:afterSwap", function (e) { if (e.detail.target && e.detail.target.isConnected) { wrapTables(e.detail.target); } });
})();
