// Destructive forms ask first: a form with data-confirm="…" is sent only when the cadre agrees.
// (An external script, so that the pages' content security policy can forbid inline script.)
document.addEventListener('submit', function (ev) {
  var form = ev.target, question = form && form.getAttribute && form.getAttribute('data-confirm');
  if (question && !window.confirm(question)) ev.preventDefault();
}, true);
