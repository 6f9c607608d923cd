// Checks as the worker types (the server checks again): GB 11643 ID numbers, mainland mobiles,
// names. A field is checked when left, then on every keystroke once it has been flagged.
(function () {
  var f = document.getElementById("join"); if (!f) return;
  var W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], P = /^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3]|91)$/;
  function id(v) {
    v = v.replace(/\s/g, "").toUpperCase();
    if (!v) return "id-required";
    var legacy = /^\d{15}$/.test(v);
    if (legacy) v = v.slice(0, 6) + "19" + v.slice(6) + "0";
    else if (!/^\d{17}[\dX]$/.test(v)) return "id-bad-format";
    if (!P.test(v.slice(0, 2))) return "id-bad-region";
    var y = +v.slice(6, 10), m = +v.slice(10, 12), d = +v.slice(12, 14), b = new Date(y, m - 1, d);
    if (b.getFullYear() != y || b.getMonth() != m - 1 || b.getDate() != d || y < 1900 || b > new Date()) return "id-bad-birth-date";
    if (legacy) return "";
    for (var s = 0, i = 0; i < 17; i++) s += +v[i] * W[i];
    return "10X98765432"[s % 11] == v[17] ? "" : "id-bad-check";
  }
  function phone(v) {
    v = v.replace(/[\s\-.()（）－]/g, "").replace(/^(\+86|0086|86)(\d{11})$/, "$2");
    return !v ? "phone-required" : /^1[3-9]\d{9}$/.test(v) ? "" : "bad-phone";
  }
  function name(v) {
    v = v.trim();
    if (!v) return "name-required";
    if (Array.from(v).length > 50) return "name-too-long";
    // Letters of any script and 〇 (a Han zero in names); accents only on letters of an alphabet.
    try {
      return new RegExp("^[\\p{L}\\p{M}\u3007·•・.' -]+$", "u").test(v) && !new RegExp("[\\p{Script=Han}\u3007]\\p{M}|\\p{M}{3}", "u").test(v) ? "" : "bad-name";
    } catch (e) { return ""; }
  }
  var checks = { id: id, phone: phone, name: name };
  function check(el) {
    var e = checks[el.dataset.check](el.value), p = document.getElementById(el.id + "-live");
    if (!p) { p = document.createElement("p"); p.className = "err"; p.id = el.id + "-live"; p.setAttribute("aria-live", "polite"); (el.closest(".row") || el).insertAdjacentElement("afterend", p); }
    p.textContent = e ? f.getAttribute("data-" + e) : "";
    var old = document.getElementById(el.getAttribute("aria-describedby") || "-"); if (old && old != p) old.remove();
    if (e) { el.setAttribute("aria-invalid", "true"); el.setAttribute("aria-describedby", p.id); } else { el.removeAttribute("aria-invalid"); el.removeAttribute("aria-describedby"); }
    return !e;
  }
  f.querySelectorAll("[data-check]").forEach(function (el) {
    el.addEventListener("blur", function () { if (el.value) check(el); });
    el.addEventListener("input", function () { if (el.getAttribute("aria-invalid")) check(el); });
  });
  // Employers of the county's census as suggestions; any name may still be typed.
  var emp = document.getElementById("employer"), list = document.getElementById("employer-list"), timer;
  emp.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!emp.value.trim() || !window.fetch) return;
      fetch(emp.dataset.suggest + "?q=" + encodeURIComponent(emp.value.trim())).then(function (r) { return r.ok ? r.json() : []; }).then(function (names) {
        list.replaceChildren.apply(list, names.map(function (n) { var o = document.createElement("option"); o.value = n; return o; }));
      }).catch(function () {});
    }, 250);
  });
  f.addEventListener("submit", function (ev) {
    var sms = ev.submitter && ev.submitter.value == "sms", ok = true;
    f.querySelectorAll("[data-check]").forEach(function (el) { if ((!sms || el.id == "phone") && !check(el)) { if (ok) el.focus(); ok = false; } });
    if (!ok) ev.preventDefault();
  });
})();
