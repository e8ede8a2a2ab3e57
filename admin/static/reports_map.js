// The 通報 map: open reports as circles on 地理院タイル (淡色地図). Loaded only when MACHIMADO_MAP_TILES is on; the
// page lists every report's coordinates and map links anyway, for networks without the internet (LGWAN).
(function () {
  const box = document.getElementById("report-map");
  const data = document.getElementById("report-points");
  if (!box || !data || typeof L === "undefined") return;
  const points = JSON.parse(data.textContent || "[]").filter(p => p && p.lat !== null && p.lon !== null);
  const map = L.map(box, {scrollWheelZoom: false});
  L.tileLayer("https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png", {
    maxZoom: 18,
    attribution: "<a href='https://maps.gsi.go.jp/development/ichiran.html'>地理院タイル</a>",
  }).addTo(map);
  const layer = L.featureGroup().addTo(map);
  points.forEach(p => {
    const marker = L.circleMarker([p.lat, p.lon], {radius: 8, color: "#c81414", weight: 2, fillOpacity: 0.5});
    const label = document.createElement("span");
    if (p.url) {
      const link = document.createElement("a");
      link.href = p.url; link.textContent = p.receipt || "通報";
      label.appendChild(link);
    } else {
      label.textContent = p.receipt || "";
    }
    if (p.category) label.appendChild(document.createTextNode(` ${p.category}（${p.status}）`));
    marker.bindPopup(label).addTo(layer);
  });
  if (points.length) {
    map.fitBounds(layer.getBounds().pad(0.2), {maxZoom: 17});
  } else {
    map.setView([35.68, 139.76], 5);
  }
})();
