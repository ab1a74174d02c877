// multicert card agent client: finds the local card agent, checks its
// version, reads cards and has them sign the server's nonce. The PIN goes
// only to the agent on 127.0.0.1, never to the server.
//
// It is loaded in <head> without defer, after the two meta tags it reads:
// its submit listener must exist before a card form can be submitted. A
// deferred script left a moment after the form was drawn in which 登入 sent
// the form natively (POST /login without a token: 「頁面已逾時」), which a
// quick click, a slow network or a loaded PC hit.
(function () {
  "use strict";

  var cfg = document.querySelector('meta[name="multicert-agent"]');
  if (!cfg) { return; }
  var agentURL = cfg.getAttribute("content");
  var minVersion = cfg.getAttribute("data-min-version") || "0";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // compareVersions("1.2.0", "1.10") < 0
  function compareVersions(a, b) {
    var pa = String(a).split("."), pb = String(b).split(".");
    for (var i = 0; i < Math.max(pa.length, pb.length); i++) {
      var x = parseInt(pa[i] || "0", 10) || 0, y = parseInt(pb[i] || "0", 10) || 0;
      if (x !== y) { return x < y ? -1 : 1; }
    }
    return 0;
  }

  function AgentError(code, message, extra) {
    this.code = code; this.message = message; this.extra = extra || {};
  }

  // lnaState resolves with the browser's Local Network Access permission
  // for this site (Chrome 142+ asks before a public page may reach
  // 127.0.0.1): "granted", "denied", "prompt", or "unsupported" where the
  // browser knows neither name (querying an unknown name throws or rejects).
  function lnaState() {
    var names = ["local-network-access", "loopback-network"];
    if (!navigator.permissions || !navigator.permissions.query) { return Promise.resolve("unsupported"); }
    function tryName(i) {
      if (i >= names.length) { return Promise.resolve("unsupported"); }
      var p;
      try { p = navigator.permissions.query({ name: names[i] }); } catch (e) { return tryName(i + 1); }
      return Promise.resolve(p).then(function (st) { return st.state; }, function () { return tryName(i + 1); });
    }
    return tryName(0);
  }

  var allowSteps = "請按網址列左側的圖示 →「網站設定」→「本機網路存取」（Local network access）改為「允許」，再重新整理頁面。";

  // unreachable tells why a request to the agent failed, from the
  // permission state: denied (the user blocked it), prompt (the prompt was
  // dismissed: a granted permission or no prompt at all would have let the
  // request through), or else the agent is not running.
  function unreachable(state) {
    if (state === "denied") {
      return new AgentError("lna_denied", "瀏覽器封鎖了本網站連線到您電腦上的憑證元件（本機網路存取）。" + allowSteps);
    }
    // A page on this computer itself (the demo) reaches 127.0.0.1 without a
    // prompt: there a failure means the agent is not running.
    if (state === "prompt" && !/^(localhost|127\.0\.0\.1|\[::1\])$/.test(location.hostname)) {
      return new AgentError("lna_prompt", "瀏覽器尚未允許本網站連線到您電腦上的憑證元件：瀏覽器詢問是否允許存取本機網路（區域網路上的裝置）時請選「允許」。若已關閉詢問視窗，" + allowSteps);
    }
    return new AgentError("agent_unreachable",
      "找不到憑證元件（讀卡程式）。請確認已安裝並啟動憑證元件" + (state === "granted" ? "（瀏覽器已允許本網站連線到本機）。" : "；瀏覽器詢問是否允許存取本機網路時請選「允許」。"));
  }

  function call(method, path, body) {
    var opts = { method: method, headers: {}, cache: "no-store" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(agentURL + path, opts).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var e = data.error || {};
          throw new AgentError(e.code || "agent_error", e.message || "憑證元件回應錯誤（HTTP " + res.status + "）。", e);
        }
        return data;
      });
    }, function () {
      return lnaState().then(function (state) { throw unreachable(state); });
    });
  }

  // version resolves with the agent's version, or rejects with error 3003
  // when it is older than the server accepts.
  function version() {
    return call("GET", "/v1/version").then(function (v) {
      if (compareVersions(v.version, minVersion) < 0) {
        throw new AgentError("3003", "錯誤代碼 3003：憑證元件需更新（您的版本 " + v.version + "，最低需 " + minVersion +
          "）。請至「環境說明」下載最新的元件安裝檔，安裝後重新啟動電腦。", { version: v.version });
      }
      return v;
    });
  }

  function server(path, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (k) { if (fields[k] !== undefined && fields[k] !== null) { body.append(k, fields[k]); } });
    return fetch(path, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) { throw new AgentError("server", data.error || "伺服器無法處理（HTTP " + res.status + "），請重新整理頁面後再試。", data); }
        return data;
      });
    }, function () { throw new AgentError("server", "無法連線到伺服器，請檢查網路後再試。"); });
  }

  window.multicertAgent = {
    url: agentURL, minVersion: minVersion, compareVersions: compareVersions,
    version: version, lnaState: lnaState, unreachable: unreachable,
    readers: function () { return call("GET", "/v1/readers"); },
    read: function (reader) { return call("POST", "/v1/read", { reader: reader || "" }); },
    sign: function (reader, pin, nonce) { return call("POST", "/v1/sign", { reader: reader || "", pin: pin, nonce: nonce }); },
    simCards: function () { return call("GET", "/v1/sim/cards"); },
    simInsert: function (reader, label) { return call("POST", "/v1/sim/insert", { reader: reader, label: label }); },
    simRemove: function (reader) { return call("POST", "/v1/sim/remove", { reader: reader }); },
    server: server
  };

  // show draws a message of the card flow next to its form. Progress is
  // announced through the page's status region; an error is scrolled into
  // view and takes focus, so that it is read at once.
  function show(box, message, kind) {
    if (!box) { return; }
    box.innerHTML = "";
    if (!message) { box.hidden = true; return; }
    box.hidden = false;
    var div = document.createElement("div");
    div.className = "alert " + (kind || "error");
    div.setAttribute("tabindex", "-1");
    if (kind !== "info") { div.setAttribute("role", "alert"); }
    div.textContent = message;
    if (kind === "info" && window.multicertAnnounce) { window.multicertAnnounce(message); }
    if (kind !== "info") {
      var help = document.createElement("a");
      help.href = "/environment";
      help.textContent = "環境說明與讀卡機自我檢測";
      div.appendChild(document.createElement("br"));
      div.appendChild(help);
    }
    box.appendChild(div);
    if (kind !== "info") {
      div.scrollIntoView({ block: "center" });
      div.focus();
    }
  }

  // markInvalid marks a field (the PIN, the card type read) invalid and
  // described by the message box after the card refused it (wrong PIN,
  // locked card, another card), and clears the mark otherwise.
  function markInvalid(el, box, bad) {
    if (!el) { return; }
    var by = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== box.id; });
    if (bad) {
      el.setAttribute("aria-invalid", "true");
      by.push(box.id);
    } else {
      el.removeAttribute("aria-invalid");
    }
    if (by.length) { el.setAttribute("aria-describedby", by.join(" ")); } else { el.removeAttribute("aria-describedby"); }
  }

  function field(form, name) { var el = form.elements[name]; return el ? el.value.trim() : ""; }

  // Card forms: <form data-card-flow="login|register|nhi-code|nhi-confirm">.
  // A button's own data-nhi-action sends the NHI card data elsewhere.
  function runFlow(form, submitter) {
    var flow = form.getAttribute("data-card-flow");
    var box = document.getElementById(form.getAttribute("data-status") || "card-status");
    var method = (form.querySelector('input[name="method"]:checked') || {}).value || form.getAttribute("data-method") || "cert";
    var asUnit = form.elements.as_unit ? form.elements.as_unit.checked : true;
    var pinEl = form.querySelector("[data-pin]");
    var pin = pinEl ? pinEl.value : "";
    markInvalid(pinEl, box, false);
    show(box, "處理中，請勿取出卡片…", "info");

    return version().then(function () {
      if (method === "cert") {
        if (!/^[0-9A-Za-z]{4,16}$/.test(pin)) { throw new AgentError("pin", "請輸入憑證 PIN 碼（4 至 16 碼英數字）。"); }
        var purpose = flow === "register" ? "unit_register" : (asUnit ? "unit_login" : "clerk_login");
        return server("/login/nonce", { purpose: purpose }).then(function (n) {
          return window.multicertAgent.sign("", pin, n.nonce).then(function (sig) {
            if (pinEl) { pinEl.value = ""; }
            pin = "";
            return server(form.getAttribute("data-cert-action"), {
              nonce: n.nonce, signature: sig.signature, certificate: sig.certificate,
              chain: (sig.chain || []).join(","), algorithm: sig.algorithm,
              as_unit: asUnit ? "1" : "", unit_code: field(form, "unit_code"), ban: field(form, "ban"),
              next: field(form, "next")
            });
          });
        });
      }
      return window.multicertAgent.read("").then(function (card) {
        if (card.type !== "nhi_card" || !card.nhi) { throw new AgentError("card", "讀卡機中不是健保卡，請插入健保卡。"); }
        var f = {
          card_no: card.nhi.cardNo, card_id_no: card.nhi.idNo, card_name: card.nhi.name,
          password: form.elements.password ? form.elements.password.value : "",
          password2: form.elements.password2 ? form.elements.password2.value : "",
          id_no: field(form, "id_no"), unit_code: field(form, "unit_code"), ban: field(form, "ban"),
          code: field(form, "code"), activation_code: field(form, "activation_code"),
          as_unit: asUnit ? "1" : "", next: field(form, "next")
        };
        var action = (submitter && submitter.getAttribute("data-nhi-action")) || form.getAttribute("data-nhi-action");
        return server(action, f);
      });
    }).then(function (res) {
      if (res.redirect) { window.location.assign(res.redirect); return; }
      show(box, res.message || "完成。", "info");
      if (!res.keep) { form.reset(); }
    }, function (err) {
      if (pinEl) { pinEl.value = ""; }
      var msg = err.message || String(err);
      if (err.code === "wrong_pin" && err.extra && typeof err.extra.triesLeft === "number") {
        msg = "PIN 碼錯誤，尚可再試 " + err.extra.triesLeft + " 次；連續錯誤 3 次將鎖卡。";
      }
      markInvalid(pinEl, box, /pin|locked/.test(err.code || ""));
      show(box, msg, "error");
    });
  }

  // While a card flow runs, its form takes no second submit: its button
  // says so with aria-disabled (a disabled button that had focus would
  // throw focus to <body>).
  function busy(form, btn, on) {
    if (on) { form.setAttribute("data-submitting", ""); } else { form.removeAttribute("data-submitting"); }
    if (btn) { if (on) { btn.setAttribute("aria-disabled", "true"); } else { btn.removeAttribute("aria-disabled"); } }
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute("data-card-flow")) { return; }
    e.preventDefault();
    if (form.hasAttribute("data-submitting")) { return; }
    var btn = e.submitter || form.querySelector('button[type="submit"]');
    busy(form, btn, true);
    runFlow(form, e.submitter).then(function () { busy(form, btn, false); });
  });

  // <button type="button" data-card-flow-button data-nhi-action=…> runs its
  // form's card flow but sends the NHI card data to its own action (註冊's
  // 「讀卡並寄送開通碼」); Enter in a field still submits the form itself.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest("[data-card-flow-button]") : null;
    if (!btn || !btn.form) { return; }
    e.preventDefault();
    if (btn.form.hasAttribute("data-submitting")) { return; }
    busy(btn.form, btn, true);
    runFlow(btn.form, btn).then(function () { busy(btn.form, btn, false); });
  });

  // 讀取: <button data-card-read> reads the card in the reader into the
  // form's hidden fields (cert, card_no, card_id_no) and shows what was read
  // in the element named by data-card-result. data-card-submit submits the
  // form afterwards (單位憑證變更作業 shows the certificate before saving).
  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest("[data-card-read]") : null;
    if (!btn) { return; }
    e.preventDefault();
    var form = btn.form;
    var out = document.getElementById(btn.getAttribute("data-card-result") || "card-read-result");
    var want = btn.getAttribute("data-card-read");
    var typeField = form.querySelector('input[name="card_type"]:checked');
    if (typeField) { want = typeField.value; }
    show(out, "讀取中，請勿取出卡片…", "info");
    version().then(function () { return window.multicertAgent.read(""); }).then(function (card) {
      function set(name, v) { var el = form.elements[name]; if (el) { el.value = v || ""; } }
      if (want === "nhi_card") {
        if (card.type !== "nhi_card" || !card.nhi) { throw new AgentError("card", "讀卡機中不是健保卡，請放入承辦人的健保卡。"); }
        set("card_no", card.nhi.cardNo); set("card_id_no", card.nhi.idNo); set("cert", "");
        if (form.elements.name && !form.elements.name.value) { set("name", card.nhi.name); }
        if (form.elements.id_no && !form.elements.id_no.value) { set("id_no", card.nhi.idNo); }
        // A 造字 in the name: the person types the right character.
        var check = !!card.nhi.nameNeedsCheck;
        set("name_needs_check", check ? "1" : "");
        var hint = form.querySelector("[data-name-check]");
        if (hint) { hint.hidden = !check; }
        show(out, "已讀取健保卡：卡號 " + card.nhi.cardNo + "，" + card.nhi.name + (check ? "（姓名含造字，請確認）" : ""), "info");
      } else {
        var kind = want === "business_cert" ? "單位憑證（工商、政府、組織及團體或醫事憑證）" : "自然人憑證";
        if (card.type !== want || !card.cert) { throw new AgentError("card", "讀卡機中不是" + kind + "，請放入正確的卡片。"); }
        set("cert", card.cert.der); set("card_no", ""); set("card_id_no", "");
        show(out, "已讀取" + kind + "：序號 " + card.cert.serial + "，主體 " + card.cert.subject, "info");
        if (btn.hasAttribute("data-card-submit")) { form.submit(); }
      }
      if (typeField) { markInvalid(typeField, out, false); }
    }).catch(function (err) {
      if (typeField) { markInvalid(typeField, out, true); } // the card type chosen is what the reader refused
      show(out, err.message || String(err), "error");
    });
  });

  // Show the fields of the chosen login method.
  function syncMethod(form) {
    var method = (form.querySelector('input[name="method"]:checked') || {}).value;
    form.querySelectorAll("[data-for-method]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for-method") !== method;
    });
  }
  function initForms() {
    document.querySelectorAll("form[data-card-flow]").forEach(function (form) {
      if (form.querySelector('input[name="method"]')) {
        syncMethod(form);
        form.addEventListener("change", function (e) { if (e.target.name === "method") { syncMethod(form); } });
      }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", initForms); } else { initForms(); }
})();
