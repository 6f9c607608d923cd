// Grid reports (网格随手拍). On the reporter's phone: the form, its photo included, is kept as a
// draft on the phone while it is filled in (a lost connection loses nothing; the same draft sent
// twice is one report), "use my location" fills the point from GPS, and open reports of the same kind
// nearby are offered first ("add your photo instead?"). For cadres: the reports on a map.
(function () {
  var form = document.getElementById('grid-report');
  var sent = document.body.getAttribute('data-grid-sent');
  if (sent) {
    try { localStorage.removeItem(sent); localStorage.removeItem(sent + '-photo'); } catch (e) { /* private mode */ }
  }
  if (form && form.dataset.draft) {
    var key = form.dataset.draft;
    var fields = ['client_key', 'category', 'details', 'lat', 'lng', 'crs', 'township', 'address'];
    var get = function (n) { return form.elements[n]; };
    var save = function () {
      var d = {};
      fields.forEach(function (n) { if (get(n)) d[n] = get(n).value; });
      try { localStorage.setItem(key, JSON.stringify(d)); } catch (e) { /* full or private */ }
    };
    var fresh = !get('details').value && !get('category').value && !get('lat').value;
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(key) || 'null'); } catch (e) { kept = null; }
    if (fresh && kept) {
      fields.forEach(function (n) { if (get(n) && kept[n]) get(n).value = kept[n]; });
      document.getElementById('g-draft-note').hidden = false;
    }
    form.addEventListener('input', save);
    // The photo, once shrunk (some 200 KB), is kept with the draft too, apart from the fields so
    // that typing does not write it again; a photo too large for the phone's storage is not kept.
    var photo = get('photos');
    var photoKey = key + '-photo';
    photo.addEventListener('shrunk', function () {
      var f = photo.files && photo.files[0];
      if (!f) return;
      var reader = new FileReader();
      reader.onload = function () {
        try { localStorage.setItem(photoKey, JSON.stringify({ name: f.name, type: f.type, data: reader.result })); }
        catch (e) { try { localStorage.removeItem(photoKey); } catch (e2) { /* private mode */ } }
      };
      reader.readAsDataURL(f);
    });
    var keptPhoto = null;
    try { keptPhoto = JSON.parse(localStorage.getItem(photoKey) || 'null'); } catch (e) { keptPhoto = null; }
    if (fresh && kept && keptPhoto && window.DataTransfer && !(photo.files && photo.files.length)) {
      try {
        var bin = atob(String(keptPhoto.data).split(',')[1] || '');
        var bytes = new Uint8Array(bin.length);
        for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        var dt = new DataTransfer();
        dt.items.add(new File([bytes], keptPhoto.name || 'photo.jpg', { type: keptPhoto.type || 'image/jpeg' }));
        photo.files = dt.files;
        photo.dataset.shrunk = '1';
        photo.dataset.kept = '1';
      } catch (e) { /* a damaged draft photo: pick it again */ }
    }
    // Offline: the draft stays on the phone; send it when the connection is back.
    form.addEventListener('submit', function (ev) {
      save();
      if (navigator.onLine === false) {
        ev.preventDefault();
        var note = document.getElementById('g-draft-note');
        note.hidden = false;
        note.setAttribute('role', 'alert');
      }
    });
    form.addEventListener('change', save);
    var status = document.getElementById('g-located');
    var lat = get('lat'), lng = get('lng'), crs = get('crs');
    var text = function (t) { var s = document.createElement('span'); s.textContent = t; return s; };
    var nearbyBox = document.getElementById('g-nearby');
    var nearby = function () {
      if (!lat.value || !get('category').value) return;
      var url = form.dataset.nearby + '?lat=' + encodeURIComponent(lat.value) + '&lng=' + encodeURIComponent(lng.value) +
        '&category=' + encodeURIComponent(get('category').value);
      fetch(url, { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : []; }).then(function (list) {
        nearbyBox.textContent = '';
        nearbyBox.hidden = !list.length;
        list.forEach(function (n) {
          var p = document.createElement('form');
          p.method = 'post';
          p.enctype = 'multipart/form-data';
          p.action = '/me/grid/' + n.id + '/photos?_csrf=' + encodeURIComponent(form.dataset.csrf);
          p.className = 'near-report';
          p.appendChild(text(form.dataset.nearText.replace('{m}', n.distance_m)));
          var file = document.createElement('input');
          file.type = 'file'; file.name = 'photos'; file.accept = 'image/jpeg,image/png'; file.setAttribute('data-shrink', '');
          file.setAttribute('aria-label', form.dataset.addText);
          var b = document.createElement('button');
          b.type = 'submit'; b.textContent = form.dataset.addText;
          p.appendChild(file); p.appendChild(b);
          nearbyBox.appendChild(p);
        });
      }).catch(function () { nearbyBox.hidden = true; });
    };
    var place = function (a, o, system, note) {
      lat.value = a.toFixed(6); lng.value = o.toFixed(6); crs.value = system;
      status.textContent = note;
      save();
      nearby();
    };
    document.getElementById('g-locate').addEventListener('click', function () {
      if (!navigator.geolocation) { status.textContent = form.dataset.noGps; return; }
      status.textContent = form.dataset.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        place(pos.coords.latitude, pos.coords.longitude, 'wgs84',
          form.dataset.located.replace('{m}', Math.round(pos.coords.accuracy || 0)));
      }, function () { status.textContent = form.dataset.noGps; }, { enableHighAccuracy: true, timeout: 15000 });
    });
    get('category').addEventListener('change', nearby);
    if (lat.value) status.textContent = lat.value + ', ' + lng.value;
    var pinMap = document.getElementById('g-map');
    if (pinMap && window.L) {
      var m = L.map(pinMap);
      L.tileLayer(pinMap.dataset.tiles, { maxZoom: 19, attribution: pinMap.dataset.attribution || '' }).addTo(m);
      m.setView(lat.value ? [parseFloat(lat.value), parseFloat(lng.value)] : [35.0, 105.0], lat.value ? 16 : 4);
      var marker = null;
      m.on('click', function (e) {
        if (marker) marker.setLatLng(e.latlng); else marker = L.marker(e.latlng).addTo(m);
        place(e.latlng.lat, e.latlng.lng, pinMap.dataset.crs, e.latlng.lat.toFixed(5) + ', ' + e.latlng.lng.toFixed(5));
      });
    }
  }
  var map = document.getElementById('grid-map');
  var data = document.getElementById('grid-points');
  if (map && data && window.L) {
    var pts = JSON.parse(data.textContent) || [];
    var gm = L.map(map);
    L.tileLayer(map.dataset.tiles, { maxZoom: 19, attribution: map.dataset.attribution || '' }).addTo(gm);
    var bounds = [];
    pts.forEach(function (p) {
      var a = document.createElement('a');
      a.href = '/grid/' + p[3]; a.textContent = p[2];
      L.circleMarker([p[0], p[1]], { radius: 6, color: '#c8102e', fillOpacity: 0.8 }).bindPopup(a).addTo(gm);
      bounds.push([p[0], p[1]]);
    });
    if (bounds.length) gm.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 });
  }
})();
