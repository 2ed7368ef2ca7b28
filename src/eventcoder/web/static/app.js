/* eventcoder review: the map, the timeline, the evidence view and the correction form.
 *
 * Every string that comes from data is set with textContent (or as an attribute value), never
 * with innerHTML. Data arrives in <script type="application/json"> blocks written by the server.
 * No network but this server: tiles from /tiles, outlines and libraries from /static.
 */
(function () {
  'use strict';

  // a fixed colour per sub-event type (codebook event_types), grey for anything else
  var PALETTE = {
    suicide_bomb: '#d62728', remote_explosive: '#ff7f0e', air_drone_strike: '#8c564b',
    shelling_artillery_missile: '#e377c2', grenade: '#bcbd22', armed_clash: '#1f77b4',
    attack: '#9467bd', abduction: '#17becf', sexual_violence: '#7f3b08', looting_property_destruction: '#b15928',
    government_regains_territory: '#2ca02c', non_state_actor_overtakes_territory: '#98df8a',
    arrests: '#aec7e8', robbery: '#c5b0d5', other: '#7f7f7f'
  };
  var OTHER = '#555555';
  var SVG = 'http://www.w3.org/2000/svg';

  function colour(type) { return PALETTE[type] || OTHER; }

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function safeUrl(url) {
    // links to our own pages only: /incidents/..., /events/...
    return (typeof url === 'string' && /^\/(incidents|events|documents)\//.test(url)) ? url : '#';
  }

  function typesOf(records) {
    var seen = {};
    records.forEach(function (r) { seen[r.type || 'other'] = true; });
    return Object.keys(seen).sort();
  }

  // ---------------------------------------------------------------- legend

  function drawLegend(records) {
    var legend = document.getElementById('legend');
    if (!legend) { return; }
    legend.textContent = '';
    var list = el('ul', {'class': 'legend'});
    typesOf(records).forEach(function (type) {
      var item = el('li', {'class': 'legend-item', 'data-type': type});
      var swatch = el('span', {'class': 'swatch'});
      swatch.style.background = colour(type);
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(' ' + type));
      list.appendChild(item);
    });
    legend.appendChild(list);
    var note = el('p', {'class': 'legend-note'},
      'Marker size grows with the square root of the killed; a faint circle marks a place known only ' +
      'roughly (near a place: 10 km, a province: 50 km).');
    legend.appendChild(note);
  }

  // ---------------------------------------------------------------- map

  function popup(record) {
    var box = el('div', {'class': 'popup'});
    box.appendChild(el('strong', {}, record.label || record.id));
    box.appendChild(el('br'));
    var facts = (record.type || '?') + ' · killed ' + (record.fatalities === null ? '?' : record.fatalities) +
      ' · place precision ' + (record.precision || '?');
    box.appendChild(el('span', {}, facts));
    box.appendChild(el('br'));
    var link = el('a', {'class': 'popup-open', href: safeUrl(record.url)}, 'open ' + record.id);
    box.appendChild(link);
    return box;
  }

  function radiusPx(fatalities) {
    var n = typeof fatalities === 'number' && fatalities > 0 ? fatalities : 0;
    return Math.min(30, 4 + 3 * Math.sqrt(n));
  }

  function drawMap(records) {
    var box = document.getElementById('map');
    if (!box || typeof window.L === 'undefined') { return; }
    var L = window.L;
    var map = L.map('map', {worldCopyJump: true, minZoom: 1, maxZoom: 6}).setView([20, 15], 2);
    L.tileLayer('/tiles/{z}/{x}/{y}.png', {
      maxZoom: 6, minZoom: 0, attribution: '\u00a9 OpenStreetMap contributors'
    }).addTo(map);
    if (typeof window.topojson !== 'undefined' && window.fetch) {
      fetch('/static/vendor/world-atlas/countries-110m.json', {credentials: 'same-origin'})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (topo) {
          if (!topo || !topo.objects || !topo.objects.countries) { return; }
          // borders only (shared arcs): whole country rings draw stray lines across the antimeridian,
          // and the tiles already show the coastlines
          var borders = window.topojson.mesh(topo, topo.objects.countries, function (a, b) { return a !== b; });
          L.geoJSON(borders, {
            interactive: false,
            style: {color: '#666', weight: 0.6, fill: false, className: 'outline'}
          }).addTo(map);
        })
        .catch(function () { /* the map still shows tiles and markers */ });
    }
    var points = [];
    records.forEach(function (r) {
      if (typeof r.lat !== 'number' || typeof r.lon !== 'number') { return; }
      var c = colour(r.type);
      var marker;
      if (typeof r.radius_m === 'number' && r.radius_m > 0) {
        // near a place, or only the province: an area, not a pin
        marker = L.circle([r.lat, r.lon], {
          radius: r.radius_m, color: c, weight: 1.5, dashArray: '4 3', fillColor: c, fillOpacity: 0.2,
          className: 'marker marker-area'
        });
      } else {
        marker = L.circleMarker([r.lat, r.lon], {
          radius: radiusPx(r.fatalities), color: '#222', weight: 1, fillColor: c, fillOpacity: 0.8,
          className: 'marker'
        });
      }
      marker.bindPopup(popup(r));
      marker.addTo(map);
      points.push([r.lat, r.lon]);
    });
    if (points.length) {
      map.fitBounds(L.latLngBounds(points).pad(0.2), {maxZoom: 6});
    }
    box.setAttribute('data-markers', String(points.length));
    window.eventcoderMap = map;
  }

  // ---------------------------------------------------------------- timeline

  var DAY = 86400000;

  function parseDay(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || '');
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : null;
  }

  function isoDay(ms) { return new Date(ms).toISOString().slice(0, 10); }

  function binStart(ms, bin) {
    if (bin !== 'week') { return ms; }
    var weekday = (new Date(ms).getUTCDay() + 6) % 7; // Monday = 0
    return ms - weekday * DAY;
  }

  function drawTimeline(records) {
    var box = document.getElementById('timeline');
    if (!box) { return; }
    var select = document.getElementById('bin');
    var bin = select ? select.value : 'week';
    box.textContent = '';
    var types = typesOf(records);
    var bins = {};
    records.forEach(function (r) {
      var day = parseDay(r.date);
      if (day === null) { return; }
      var key = binStart(day, bin);
      var b = bins[key] || (bins[key] = {start: key, total: 0, fatalities: 0, byType: {}});
      var type = r.type || 'other';
      b.byType[type] = (b.byType[type] || 0) + 1;
      b.total += 1;
      if (typeof r.fatalities === 'number') { b.fatalities += r.fatalities; }
    });
    var list = Object.keys(bins).map(function (k) { return bins[k]; })
      .sort(function (a, b) { return a.start - b.start; });
    var width = Math.max(box.clientWidth || 0, 600), height = 220;
    var pad = {left: 40, right: 44, top: 12, bottom: 34};
    var chart = svg('svg', {
      'class': 'timeline', width: width, height: height, viewBox: '0 0 ' + width + ' ' + height,
      role: 'img', 'data-bin': bin
    });
    chart.appendChild(svg('title', {}, 'Incidents per ' + bin + ' by type, and the killed'));
    box.appendChild(chart);
    if (!list.length) {
      chart.appendChild(svg('text', {x: width / 2, y: height / 2, 'text-anchor': 'middle', 'class': 'empty'},
        'No dated records'));
      return;
    }
    var span = bin === 'week' ? 7 * DAY : DAY;
    var t0 = list[0].start, t1 = list[list.length - 1].start + span;
    var plotW = width - pad.left - pad.right, plotH = height - pad.top - pad.bottom;
    var x = function (t) { return pad.left + (t - t0) / (t1 - t0) * plotW; };
    var maxCount = Math.max.apply(null, list.map(function (b) { return b.total; }));
    var maxDead = Math.max(1, Math.max.apply(null, list.map(function (b) { return b.fatalities; })));
    var y = function (n) { return pad.top + plotH - n / maxCount * plotH; };
    var yDead = function (n) { return pad.top + plotH - n / maxDead * plotH; };
    var barW = Math.max(2, x(t0 + span) - x(t0) - 1);

    var bars = svg('g', {'class': 'bars'});
    list.forEach(function (b) {
      var stacked = 0;
      types.forEach(function (type) {
        var n = b.byType[type] || 0;
        if (!n) { return; }
        var rect = svg('rect', {
          'class': 'bar', x: x(b.start).toFixed(1), y: y(stacked + n).toFixed(1), width: barW.toFixed(1),
          height: Math.max(1, y(stacked) - y(stacked + n)).toFixed(1), fill: colour(type),
          'data-bin': isoDay(b.start), 'data-type': type, 'data-count': n
        });
        rect.appendChild(svg('title', {}, isoDay(b.start) + ': ' + n + ' ' + type));
        bars.appendChild(rect);
        stacked += n;
      });
    });
    chart.appendChild(bars);

    // the line joins neighbouring bins only: across empty bins it would invent figures
    var line = list.map(function (b, i) {
      var joined = i > 0 && b.start - list[i - 1].start <= span + DAY / 2;  // DST-free: UTC days
      return (joined ? 'L' : 'M') + (x(b.start) + barW / 2).toFixed(1) + ' ' + yDead(b.fatalities).toFixed(1);
    }).join(' ');
    chart.appendChild(svg('path', {'class': 'fatalities', d: line, fill: 'none', stroke: '#111',
      'stroke-width': 1.5}));
    list.forEach(function (b) {
      var dot = svg('circle', {'class': 'fatality-point', cx: (x(b.start) + barW / 2).toFixed(1),
        cy: yDead(b.fatalities).toFixed(1), r: 2.5, fill: '#111'});
      dot.appendChild(svg('title', {}, isoDay(b.start) + ': ' + b.fatalities + ' killed'));
      chart.appendChild(dot);
    });

    // axes: time below, incidents on the left, killed on the right
    var axis = svg('g', {'class': 'axis'});
    axis.appendChild(svg('line', {x1: pad.left, y1: pad.top + plotH, x2: pad.left + plotW, y2: pad.top + plotH,
      stroke: '#444'}));
    var ticks = Math.min(6, Math.max(2, Math.floor(plotW / 110)));
    for (var i = 0; i <= ticks; i++) {
      var t = t0 + (t1 - t0) * i / ticks;
      axis.appendChild(svg('text', {'class': 'tick x', x: x(t).toFixed(1), y: height - 12,
        'text-anchor': i === 0 ? 'start' : (i === ticks ? 'end' : 'middle')}, isoDay(binStart(t, 'day'))));
    }
    axis.appendChild(svg('text', {'class': 'tick y', x: pad.left - 6, y: pad.top + 10, 'text-anchor': 'end'},
      String(maxCount)));
    axis.appendChild(svg('text', {'class': 'tick y', x: pad.left - 6, y: pad.top + plotH, 'text-anchor': 'end'}, '0'));
    axis.appendChild(svg('text', {'class': 'tick y2', x: width - pad.right + 6, y: pad.top + 10}, String(maxDead)));
    axis.appendChild(svg('text', {'class': 'label', x: 4, y: height - 1}, 'incidents per ' + bin + ' (bars, by type)'));
    axis.appendChild(svg('text', {'class': 'label', x: width - 4, y: height - 1, 'text-anchor': 'end'},
      'killed (line)'));
    chart.appendChild(axis);
  }

  // ---------------------------------------------------------------- evidence (document page)

  function fieldsOf(mark) {
    return (mark.getAttribute('data-fields') || '').split(/\s+/).filter(Boolean);
  }

  function initEvidence() {
    var text = document.getElementById('text');
    var list = document.getElementById('fields');
    if (!text || !list) { return; }
    var marks = Array.prototype.slice.call(text.querySelectorAll('mark.evidence'));
    var items = Array.prototype.slice.call(list.querySelectorAll('li.field'));
    var labels = {};
    // li.field: data-field is the field's name ("fatalities"), data-key the name with its incident
    // ("inc-...:fatalities"), which is what the marks' data-fields list
    items.forEach(function (li) { labels[li.getAttribute('data-key')] = li.textContent; });

    function activate(key) {
      var first = null;
      marks.forEach(function (m) {
        var on = fieldsOf(m).indexOf(key) >= 0;
        m.classList.toggle('active', on);
        if (on && !first) { first = m; }
      });
      items.forEach(function (li) { li.classList.toggle('selected', li.getAttribute('data-key') === key); });
      if (first && first.scrollIntoView) { first.scrollIntoView({block: 'center'}); }
    }

    items.forEach(function (li) {
      li.addEventListener('click', function () { activate(li.getAttribute('data-key')); });
      li.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); activate(li.getAttribute('data-key')); }
      });
    });

    var out = document.getElementById('span-fields');
    marks.forEach(function (m) {
      m.addEventListener('click', function () {
        marks.forEach(function (other) { other.classList.remove('picked'); });
        m.classList.add('picked');
        if (!out) { return; }
        out.textContent = '';
        fieldsOf(m).forEach(function (key) {
          var li = el('li', {'class': 'span-field', 'data-key': key, 'data-field': key.split(':').pop()},
            key + ' · ' + (labels[key] || ''));
          li.addEventListener('click', function () { activate(key); });
          out.appendChild(li);
        });
      });
    });
  }

  // ---------------------------------------------------------------- correction form (incident page)

  function initCorrection() {
    var form = document.getElementById('correct');
    var values = readJSON('field-values');
    if (!form || !values) { return; }
    var select = form.querySelector('select[name="field"]');
    var area = form.querySelector('textarea[name="value"]');
    if (!select || !area) { return; }
    select.addEventListener('change', function () {
      if (Object.prototype.hasOwnProperty.call(values, select.value)) { area.value = values[select.value]; }
    });
  }

  // ---------------------------------------------------------------- start

  function start() {
    var records = readJSON('records-data');
    if (records) {
      drawLegend(records);
      try { drawMap(records); } catch (e) { if (window.console) { console.error(e); } }
      drawTimeline(records);
      var select = document.getElementById('bin');
      if (select) { select.addEventListener('change', function () { drawTimeline(records); }); }
    }
    initEvidence();
    initCorrection();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
