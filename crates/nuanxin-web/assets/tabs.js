// A row of tabs wider than a phone scrolls sideways: the current tab is brought into view, so a
// page opened from a link does not hide which tab it is.
(function () {
  var current = document.querySelector('.tabs [aria-current="page"]');
  if (current && current.scrollIntoView) current.scrollIntoView({ block: 'nearest', inline: 'center' });
})();
