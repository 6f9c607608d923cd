// Station maps for cadres: a pin on the station form (click to place; the coordinates follow the
// tile server's system) and the 15-minute circle result. Both need a configured tile server.
(function () {
  // No image files: markers are drawn from text.
  var icon = window.L && L.divIcon({ className: 'map-pin', html: '📍', iconSize: [28, 28], iconAnchor: [14, 26] });
  var pin = document.getElementById('pin-map');
  if (pin && window.L) {
    var lat = document.getElementById('f-lat'), lng = document.getElementById('f-lng'), crs = document.getElementById('f-crs');
    var map = L.map(pin);
    L.tileLayer(pin.dataset.tiles, { maxZoom: 19, attribution: pin.dataset.attribution || '' }).addTo(map);
    var marker = null;
    var start = [parseFloat(lat.value), parseFloat(lng.value)];
    if (isFinite(start[0]) && isFinite(start[1])) {
      marker = L.marker(start, { draggable: true, icon: icon }).addTo(map);
      map.setView(start, 16);
    } else {
      map.setView([35.0, 105.0], 4);
    }
    var place = function (p) {
      lat.value = p.lat.toFixed(6);
      lng.value = p.lng.toFixed(6);
      crs.value = pin.dataset.crs;
    };
    map.on('click', function (e) {
      if (marker) marker.setLatLng(e.latlng); else marker = L.marker(e.latlng, { draggable: true, icon: icon }).addTo(map);
      marker.on('dragend', function () { place(marker.getLatLng()); });
      place(e.latlng);
    });
  }
  var circle = document.getElementById('circle-map');
  var data = document.getElementById('map-data');
  if (circle && data && window.L) {
    var d = JSON.parse(data.textContent);
    if (!d) return;
    // A popup shows a stored name as text, never as markup.
    var text = function (t) { var p = document.createElement('span'); p.textContent = t; return p; };
    var m = L.map(circle);
    L.tileLayer(circle.dataset.tiles, { maxZoom: 19, attribution: circle.dataset.attribution || '' }).addTo(m);
    var pts = [];
    d.stations.forEach(function (s) {
      L.circle([s[0], s[1]], { radius: d.radius_m, color: '#16a34a', weight: 1, fillOpacity: 0.08 }).addTo(m);
      L.circleMarker([s[0], s[1]], { radius: 5, color: '#16a34a', fillOpacity: 1 }).bindPopup(text(s[2])).addTo(m);
      pts.push([s[0], s[1]]);
    });
    d.uncovered.forEach(function (p) {
      L.circleMarker(p, { radius: 3, color: '#c8102e', weight: 1, fillOpacity: 0.7 }).addTo(m);
      pts.push(p);
    });
    d.sites.forEach(function (p, i) {
      L.circle(p, { radius: d.radius_m, color: '#d97706', weight: 2, dashArray: '4 4', fillOpacity: 0.05 }).addTo(m);
      L.marker(p, { icon: icon }).bindPopup('#' + (i + 1)).addTo(m);
      pts.push(p);
    });
    if (pts.length) m.fitBounds(pts, { padding: [20, 20] }); else m.setView([35.0, 105.0], 4);
  }
})();
