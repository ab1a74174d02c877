// 環境說明: the live self-test of agent, version, readers and card, and the
// demo's simulated reader controls. Uses window.multicertAgent (cardagent.js).
(function () {
  "use strict";
  var agent = window.multicertAgent;
  var steps = document.getElementById("selftest-steps");
  var advice = document.getElementById("selftest-advice");
  var section = document.getElementById("selftest");
  var latest = section ? section.getAttribute("data-latest-version") : ""; // the installers' version (manifest.json)
  var lnaNames = { granted: "已允許", denied: "已封鎖", prompt: "尚未允許（瀏覽器會詢問）" };
  var typeNames = { nhi_card: "健保卡", citizen_cert: "自然人憑證", business_cert: "單位憑證（工商、政府、組織及團體或醫事憑證）", unknown: "無法辨識的卡片" };

  function step(ok, text) {
    var li = document.createElement("li");
    li.textContent = (ok ? "✔ " : "✘ ") + text;
    li.className = ok ? "ok" : "bad";
    steps.appendChild(li);
  }
  // advise ends a self-test with what to do next: a problem as an alert,
  // success through the page's polite status region. The steps are not a
  // live region: the advice sums them up.
  function advise(text, kind) {
    advice.innerHTML = "";
    var div = document.createElement("div");
    div.className = "alert " + (kind || "warn");
    if (kind === "ok") {
      if (window.multicertAnnounce) { window.multicertAnnounce(text); }
    } else {
      div.setAttribute("role", "alert");
    }
    div.textContent = text;
    advice.appendChild(div);
  }

  function selfTest() {
    steps.innerHTML = ""; advice.innerHTML = "";
    if (!agent) { step(false, "頁面元件未載入"); advise("請重新整理頁面。"); return; }
    var update = "";
    agent.lnaState().then(function (state) {
      if (state !== "unsupported") { step(state !== "denied", "瀏覽器的本機網路存取權限：" + (lnaNames[state] || state)); }
      return agent.version();
    }).then(function (v) {
      step(true, "憑證元件已啟動，版本 " + v.version + "（最低需 " + agent.minVersion + "）");
      if (latest && agent.compareVersions(v.version, latest) < 0) {
        update = "有新版元件，請下載更新（您的版本 " + v.version + "，最新版 " + latest + "）。";
        step(false, update);
      }
      return agent.readers();
    }, function (e) {
      if (e.code === "3003") { step(true, "憑證元件已啟動"); step(false, e.message); advise("請下載並安裝下方最新的元件安裝檔，安裝後重新啟動電腦再檢測一次。"); }
      else if (e.code === "lna_denied" || e.code === "lna_prompt") { step(false, "瀏覽器未允許本網站連線到憑證元件"); advise(e.message); }
      else { step(false, "找不到憑證元件"); advise(e.message + " 若尚未安裝，請下載下方的元件安裝檔。"); }
      throw null;
    }).then(function (r) {
      var readers = (r && r.readers) || [];
      if (!readers.length) { step(false, "找不到讀卡機"); advise("請確認讀卡機已接上電腦（USB），並已安裝讀卡機驅動程式，然後再檢測一次。"); return; }
      step(true, "找到 " + readers.length + " 台讀卡機：" + readers.map(function (x) { return x.name; }).join("、"));
      var withCard = readers.filter(function (x) { return x.present; });
      if (!withCard.length) { step(false, "讀卡機中沒有卡片"); advise("請將健保卡、自然人憑證或工商憑證插入讀卡機（晶片朝上、朝內），再檢測一次。"); return; }
      withCard.forEach(function (x) {
        var name = typeNames[x.cardType] || "卡片";
        var extra = "";
        if (x.pinLocked) { extra = "，卡片已鎖住"; }
        else if (typeof x.pinTriesLeft === "number" && x.pinTriesLeft >= 0) { extra = "，PIN 碼尚可嘗試 " + x.pinTriesLeft + " 次"; }
        step(x.cardType !== "unknown" && !x.pinLocked, x.name + "：" + name + extra);
      });
      var first = withCard[0];
      if (first.pinLocked) { advise("卡片已被鎖住，請依下方「忘記 PIN 碼或卡片被鎖」的說明向發卡單位解鎖。"); }
      else if (first.cardType === "unknown") { advise("讀卡機中的卡片無法辨識，請改插健保卡、自然人憑證或工商憑證。"); }
      else if (update) { advise(update + "目前的版本仍可登入。"); }
      else { advise("一切正常，可以回登入頁登入。", "ok"); }
    }).catch(function (e) { if (e) { step(false, e.message || String(e)); } });
  }

  var run = document.getElementById("selftest-run");
  if (run) { run.addEventListener("click", selfTest); }

  // Simulated reader (demo mode only).
  var panel = document.getElementById("sim-panel");
  // renderSim draws the simulated readers. After the user inserted or took
  // out a card (focusAfter true), focus goes to the next thing to do there
  // (取出卡片 after an insert, the card list after a removal) and the new
  // state is announced, instead of being lost with the redrawn buttons.
  function renderSim(focusAfter) {
    if (!panel || !agent) { return; }
    Promise.all([agent.readers(), agent.simCards()]).then(function (res) {
      var readers = (res[0].readers || []).filter(function (r) { return r.simulated; });
      var cards = res[1].cards || [];
      panel.innerHTML = "";
      readers.forEach(function (r) {
        var box = document.createElement("div");
        box.className = "card";
        var h = document.createElement("h3");
        h.textContent = r.name;
        box.appendChild(h);
        var inside = cards.filter(function (c) { return c.reader === r.name; })[0];
        var p = document.createElement("p");
        if (inside) {
          p.textContent = "目前插入：" + inside.label + "（" + (typeNames[inside.type] || inside.type) + "）";
          var out = document.createElement("button");
          out.type = "button"; out.className = "secondary"; out.textContent = "取出卡片";
          out.addEventListener("click", function () { agent.simRemove(r.name).then(function () { renderSim(true); }, function (e) { showErr(e, true); }); });
          box.appendChild(p); box.appendChild(out);
        } else {
          p.textContent = "讀卡機是空的。";
          box.appendChild(p);
          var label = document.createElement("label");
          var id = "sim-" + r.name.replace(/\W/g, "");
          label.setAttribute("for", id); label.textContent = "選擇要插入的示範卡";
          var sel = document.createElement("select"); sel.id = id;
          cards.filter(function (c) { return !c.reader; }).forEach(function (c) {
            var o = document.createElement("option"); o.value = c.label;
            o.textContent = c.label + "（" + (typeNames[c.type] || c.type) + "）"; sel.appendChild(o);
          });
          var ins = document.createElement("button");
          ins.type = "button"; ins.textContent = "插入卡片";
          ins.addEventListener("click", function () { agent.simInsert(r.name, sel.value).then(function () { renderSim(true); }, function (e) { showErr(e, true); }); });
          box.appendChild(label); box.appendChild(sel); box.appendChild(document.createTextNode(" ")); box.appendChild(ins);
        }
        panel.appendChild(box);
      });
      if (focusAfter === true) {
        var next = panel.querySelector("button.secondary, select");
        if (next) { next.focus(); }
        var state = panel.querySelector("p");
        if (state && window.multicertAnnounce) { window.multicertAnnounce(state.textContent); }
      }
    }, showErr);
  }
  function showErr(e, focusAfter) {
    if (!panel) { return; }
    panel.innerHTML = "";
    var d = document.createElement("div"); d.className = "alert error"; d.setAttribute("role", "alert");
    d.textContent = (e && e.message) || "模擬讀卡機沒有回應。"; d.tabIndex = -1; panel.appendChild(d);
    if (focusAfter === true) { d.focus(); }
  }
  if (panel) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", function () { renderSim(false); }); } else { renderSim(false); }
  }
})();
