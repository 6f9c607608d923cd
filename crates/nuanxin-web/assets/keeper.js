// The keeper's visit form: where the browser can read QR codes from the camera (BarcodeDetector,
// as in Chrome on Android), a button scans a member's e-card into the membership-number field.
// Without it the field takes what a scanner gun or a person types.
(function () {
  var field = document.getElementById('v-member');
  var btn = document.getElementById('scan-ecard');
  if (!field || !btn || !('BarcodeDetector' in window) || !navigator.mediaDevices) return;
  btn.hidden = false;
  btn.addEventListener('click', function () {
    var detector = new window.BarcodeDetector({ formats: ['qr_code'] });
    var video = document.createElement('video');
    video.setAttribute('playsinline', '');
    video.className = 'scan-video';
    btn.after(video);
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (stream) {
      video.srcObject = stream;
      video.play();
      var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.remove(); };
      var tick = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) { field.value = codes[0].rawValue; stop(); field.focus(); }
          else requestAnimationFrame(tick);
        }).catch(stop);
      };
      tick();
    }).catch(function () { video.remove(); });
  });
})();
