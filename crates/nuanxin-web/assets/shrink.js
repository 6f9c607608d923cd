// Photos are shrunk on the phone before they are sent: a file input with data-shrink has each
// picture drawn upright at most 1600 px a side and written again as JPEG, which also drops its
// EXIF (the GPS location, the camera). Without this script, or where the browser cannot, the
// original goes and the server does the same. The input then tells "shrunk" (a draft may keep it).
(function () {
  var MAX = 1600;
  function shrink(file) {
    if (!/^image\/(jpeg|png)$/.test(file.type) || !window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file, { imageOrientation: 'from-image' }).then(function (bmp) {
      var scale = Math.min(1, MAX / Math.max(bmp.width, bmp.height));
      var canvas = document.createElement('canvas');
      canvas.width = Math.round(bmp.width * scale);
      canvas.height = Math.round(bmp.height * scale);
      canvas.getContext('2d').drawImage(bmp, 0, 0, canvas.width, canvas.height);
      return new Promise(function (done) {
        canvas.toBlob(function (blob) {
          if (!blob) return done(file);
          var name = file.name.replace(/\.\w+$/, '') + '.jpg';
          done(new File([blob], name, { type: 'image/jpeg' }));
        }, 'image/jpeg', 0.82);
      });
    }).catch(function () { return file; });
  }
  document.addEventListener('change', function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches('input[type=file][data-shrink]') || !window.DataTransfer) return;
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) return;
    var form = input.form, buttons = form ? form.querySelectorAll('button[type=submit]') : [];
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    input.setAttribute('aria-busy', 'true');
    Promise.all(files.map(shrink)).then(function (small) {
      var dt = new DataTransfer();
      small.forEach(function (f) { dt.items.add(f); });
      input.files = dt.files;
    }).finally(function () {
      input.removeAttribute('aria-busy');
      input.dataset.shrunk = String(files.length);
      input.dispatchEvent(new CustomEvent('shrunk', { bubbles: true }));
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
    });
  });
})();
