// Nearby stations: ask the browser for the location and reload the list for it; draw the map
// when a tile server is configured. The list works without this script (region search).
(function () {
  var btn = document.getElementById('locate');
  var status = document.getElementById('locate-status');
  var form = document.getElementById('locate-form');
  if (btn && navigator.geolocation) {
    btn.hidden = false;
    btn.addEventListener('click', function () {
      status.textContent = btn.getAttribute('data-wait') || '…';
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.getElementById('lat').value = pos.coords.latitude.toFixed(6);
        document.getElementById('lng').value = pos.coords.longitude.toFixed(6);
        form.submit();
      }, function (err) {
        status.textContent = err.message || 'location unavailable';
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  }
  var el = document.getElementById('nearby-map');
  var data = document.getElementById('map-data');
  if (!el || !data) return;
  window.addEventListener('load', function () {
    if (!window.L) return;
    // A popup shows a stored name as text, never as markup.
    function text(t) { var p = document.createElement('span'); p.textContent = t; return p; }
    var d = JSON.parse(data.textContent);
    if (!d) return;
    var map = L.map(el, { zoomControl: true });
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || '' }).addTo(map);
    var pts = [];
    d.stations.forEach(function (s) {
      L.circleMarker([s[0], s[1]], { radius: 8, color: '#c8102e', fillOpacity: 0.8 }).bindPopup(text(s[2])).addTo(map);
      pts.push([s[0], s[1]]);
    });
    // Rider-friendly neighbourhoods, in green.
    (d.friendly || []).forEach(function (f) {
      L.circleMarker([f[0], f[1]], { radius: 10, color: '#15803d', weight: 2, fillOpacity: 0.25 }).bindPopup(text(f[2])).addTo(map);
      pts.push([f[0], f[1]]);
    });
    if (d.me) {
      L.circleMarker(d.me, { radius: 7, color: '#1d4ed8', fillOpacity: 0.9 }).addTo(map);
      pts.push(d.me);
    }
    map.fitBounds(pts, { padding: [24, 24], maxZoom: 16 });
  });
})();
