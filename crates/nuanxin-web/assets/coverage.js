// Draws the dashboard's charts from the JSON the server put in #coverage-data. The tables
// beside them carry the same figures, so the page reads fine without this script.
(function () {
  'use strict';
  function draw() {
    var el = document.getElementById('coverage-data');
    if (!el || !window.echarts) return;
    var d = JSON.parse(el.textContent);
    // Names in tooltips (ECharts renders them as HTML) are escaped: they are stored text.
    var esc = echarts.format.encodeHTML;
    var red = '#c8102e', palette = ['#c8102e', '#e2573b', '#f08c3a', '#f3b23e', '#7fa650', '#2e8b7a', '#2f6fb0', '#5b57a6', '#a4508b', '#8c6d5a', '#9aa0a6'];
    var font = { fontFamily: 'system-ui, "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif' };
    var charts = [];
    function chart(id, option) {
      var node = document.getElementById(id);
      if (!node) return;
      var c = echarts.init(node, null, { renderer: 'svg' });
      option.textStyle = font;
      option.animation = false;
      c.setOption(option);
      charts.push(c);
    }
    chart('chart-trend', {
      color: [red, '#f3b23e'],
      tooltip: { trigger: 'axis' },
      legend: { data: d.trend.labels, bottom: 0 },
      grid: { left: 48, right: 16, top: 16, bottom: 48 },
      xAxis: { type: 'category', data: d.trend.months },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: d.trend.labels[0], type: 'line', smooth: true, areaStyle: { opacity: 0.12 }, data: d.trend.members },
        { name: d.trend.labels[1], type: 'bar', barMaxWidth: 18, data: d.trend.joined }
      ]
    });
    chart('chart-groups', {
      color: palette,
      tooltip: { trigger: 'item', formatter: function (p) { return esc(p.name) + ': ' + p.value + ' (' + p.percent + '%)'; } },
      series: [{ type: 'pie', radius: ['45%', '72%'], avoidLabelOverlap: true,
        label: { formatter: '{b}\n{c}' }, data: d.groups.filter(function (g) { return g.value > 0; }) }]
    });
    if (d.ranking.names.length) {
      chart('chart-ranking', {
        color: [red],
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, formatter: function (ps) {
          var p = ps[0] || {};
          return esc(p.name) + '<br>' + esc(p.seriesName) + ' ' + p.value;
        } },
        grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: 'value', minInterval: 1 },
        yAxis: { type: 'category', inverse: true, data: d.ranking.names, axisLabel: { width: 160, overflow: 'truncate' } },
        series: [{ name: d.ranking.label, type: 'bar', barMaxWidth: 16, data: d.ranking.members, label: { show: true, position: 'right' } }]
      });
    }
    if (d.map) {
      echarts.registerMap('nuanxin-area', d.map.geo);
      chart('chart-map', {
        tooltip: { trigger: 'item', formatter: function (p) {
          var x = p.data || {};
          return esc(x.units || p.name) + '<br>' + esc(d.map.label) + ' ' + (x.value == null ? '—' : x.value + '%') + ' (' + (x.members || 0) + ' ÷ ' + (x.known || 0) + ')';
        } },
        visualMap: { min: 0, max: 100, text: ['100%', '0%'], calculable: false, itemWidth: 14, left: 8, bottom: 8,
          inRange: { color: ['#fdf0ee', '#f3b23e', '#e2573b', '#c8102e'] } },
        series: [{ type: 'map', map: 'nuanxin-area', nameProperty: 'code', roam: false,
          label: { show: false }, emphasis: { label: { show: false } }, data: d.map.data }]
      });
    }
    window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw); else draw();
})();
