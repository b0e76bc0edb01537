// Omnistream dashboard: plain JavaScript, no dependencies. It talks to the
// JSON API of the server it was loaded from with the team API key kept in
// sessionStorage, draws its charts as SVG, and refreshes the open view
// every few seconds.
'use strict';

(() => {
  const KEY = 'omnistream.key';
  const POLL_MS = 5000;
  const CHANNELS = ['line', 'facebook', 'instagram', 'whatsapp', 'web', 'wechat', 'sms'];
  const CHANNEL_NAMES = { line: 'LINE', facebook: 'Facebook', instagram: 'Instagram', whatsapp: 'WhatsApp', web: 'Web chat', wechat: 'WeChat', sms: 'SMS' };

  const state = {
    key: sessionStorage.getItem(KEY) || '',
    tz: 'UTC',
    teamName: '',
    preset: 'last_30_days',
    from: '',
    to: '',
    paused: false,
    timer: null,
    seq: 0,
    last: '', // JSON of the data the open view shows
    ui: {}, // per-view choices that survive refreshes
  };

  // ---------- DOM ----------
  const $ = (id) => document.getElementById(id);

  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    append(el, kids);
    return el;
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...kids) {
    const el = document.createElementNS(SVG, tag);
    setAttrs(el, attrs);
    append(el, kids);
    return el;
  }

  function setAttrs(el, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.setAttribute('class', v);
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = dv;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function append(el, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k === null || k === undefined || k === false) continue;
      el.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
  }

  // ---------- formatting ----------
  const DASH = '—';
  const fmtInt = (n) => (n === null || n === undefined ? DASH : Number(n).toLocaleString('en-US'));
  const fmtRate = (r) => (r === null || r === undefined ? DASH : (r * 100).toFixed(1) + '%');
  const fmtPct = (v) => (v === null || v === undefined ? DASH : v.toFixed(v >= 10 || v === 0 ? 0 : 1) + '%');
  const chName = (c) => CHANNEL_NAMES[c] || c;

  function fmtTime(iso) {
    if (!iso) return DASH;
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const p = partsIn(d, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  }

  function partsIn(d, extra) {
    const f = new Intl.DateTimeFormat('en-US', { timeZone: state.tz, year: 'numeric', month: '2-digit', day: '2-digit', ...extra });
    const out = {};
    for (const p of f.formatToParts(d)) out[p.type] = p.value;
    if (out.hour === '24') out.hour = '00';
    return out;
  }

  function money(list) {
    if (!list || !list.length) return DASH;
    return list.map((m) => `${m.currency} ${Number(m.amount).toLocaleString('en-US', { maximumFractionDigits: 4 })}`).join(', ');
  }

  // ---------- dates in the team's time zone ----------
  function todayInTZ() {
    const p = partsIn(new Date());
    return `${p.year}-${p.month}-${p.day}`;
  }

  function addDays(day, n) {
    const t = new Date(day + 'T12:00:00Z');
    t.setUTCDate(t.getUTCDate() + n);
    return t.toISOString().slice(0, 10);
  }

  function presetRange(preset) {
    const today = todayInTZ();
    const first = today.slice(0, 8) + '01';
    switch (preset) {
      case 'today': return [today, today];
      case 'yesterday': return [addDays(today, -1), addDays(today, -1)];
      case 'last_7_days': return [addDays(today, -6), today];
      case 'last_14_days': return [addDays(today, -13), today];
      case 'last_30_days': return [addDays(today, -29), today];
      case 'this_month': return [first, today];
      case 'last_month': {
        const end = addDays(first, -1);
        return [end.slice(0, 8) + '01', end];
      }
    }
    return [state.from, state.to];
  }

  function range() {
    if (state.preset !== 'custom') [state.from, state.to] = presetRange(state.preset);
    return { from: state.from, to: state.to };
  }

  // ---------- API ----------
  class APIError extends Error {
    constructor(status, body) {
      super((body && body.error) || `HTTP ${status}`);
      this.status = status;
      this.parameter = body && body.parameter;
    }
  }

  async function api(path, params) {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      if (v === undefined || v === null || v === '') continue;
      for (const x of Array.isArray(v) ? v : [v]) url.searchParams.append(k, x);
    }
    const res = await fetch(url, { headers: { Authorization: 'Bearer ' + state.key, Accept: 'application/json' } });
    let body = null;
    try { body = await res.json(); } catch (_) { /* not JSON */ }
    if (res.status === 401) {
      signOut('The key was refused: it is unknown or revoked.');
      throw new APIError(401, body);
    }
    if (!res.ok) throw new APIError(res.status, body);
    return body;
  }

  // ---------- login ----------
  async function signIn(key) {
    state.key = key;
    const probe = await fetch('/v1/reports/broadcasts?limit=1', { headers: { Authorization: 'Bearer ' + key } });
    if (probe.status === 401) throw new Error('This key was refused: it is unknown or revoked.');
    if (!probe.ok) throw new Error(`The server answered ${probe.status}; try again.`);
    sessionStorage.setItem(KEY, key);
    await loadTeam();
    showShell();
  }

  async function loadTeam() {
    try {
      const st = await api('/v1/settings');
      state.tz = st.timezone || state.tz;
      state.teamName = st.name || '';
    } catch (_) {
      // Older servers have no settings API: reports echo the zone.
      try {
        const r = await api('/v1/reports/tags', { preset: 'today', limit: 1 });
        state.tz = (r.period && r.period.timezone) || state.tz;
      } catch (_) { /* keep UTC */ }
    }
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    state.key = '';
    stopPolling();
    $('shell').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('key').value = '';
    $('key').focus();
  }

  function showShell() {
    $('login').hidden = true;
    $('shell').hidden = false;
    $('team').textContent = state.teamName;
    $('tz').textContent = state.tz;
    syncRangeInputs();
    if (!location.hash || location.hash === '#' || location.hash === '#/') location.hash = '#/broadcasts';
    else render(false);
    startPolling();
  }

  function syncRangeInputs() {
    const r = range();
    $('preset').value = state.preset;
    $('from').value = r.from;
    $('to').value = r.to;
  }

  // ---------- live refresh ----------
  function startPolling() {
    stopPolling();
    state.timer = setInterval(() => {
      if (!state.paused && !document.hidden && state.key) render(true);
    }, POLL_MS);
  }

  function stopPolling() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
  }

  function markUpdated(ok) {
    const p = partsIn(new Date(), { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    $('updated').textContent = ok ? `Live · ${p.hour}:${p.minute}:${p.second}` : 'Refresh failed, retrying';
    $('live-dot').className = 'dot ' + (state.paused ? 'paused' : ok ? 'on' : 'bad');
  }

  // ---------- routing ----------
  const routes = [
    [/^#\/broadcasts\/(.+)$/, (m) => viewBroadcast(decodeURIComponent(m[1])), 'broadcasts'],
    [/^#\/broadcasts$/, () => viewBroadcasts(), 'broadcasts'],
    [/^#\/journeys(?:\/(.+))?$/, (m) => viewJourney(m[1] ? decodeURIComponent(m[1]) : ''), 'journeys'],
    [/^#\/tags$/, () => viewTags(), 'tags'],
    [/^#\/omnilink(?:\/(.+))?$/, (m) => viewOmniLink(m[1] ? decodeURIComponent(m[1]) : ''), 'omnilink'],
    [/^#\/contacts$/, () => viewContacts(), 'contacts'],
    [/^#\/customers$/, () => viewCustomers(), 'customers'],
    [/^#\/customer\/(.+)$/, (m) => viewCustomer(decodeURIComponent(m[1])), 'customers'],
  ];

  // render loads the open view. A refresh (quiet) redraws only when the
  // data changed, so nothing flickers under the reader's eyes.
  async function render(quiet) {
    const hash = location.hash || '#/broadcasts';
    let found = null;
    for (const [re, fn, nav] of routes) {
      const m = hash.match(re);
      if (m) { found = { fn, m, nav }; break; }
    }
    if (!found) { location.hash = '#/broadcasts'; return; }
    for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.nav === found.nav);
    const seq = ++state.seq;
    const view = $('view');
    if (!quiet) {
      state.last = '';
      view.replaceChildren(h('div', { class: 'loading' }, 'Loading…'));
    }
    try {
      const out = await found.fn(found.m);
      if (seq !== state.seq) return; // a newer render started
      const key = JSON.stringify(out.data);
      if (quiet && key === state.last) { markUpdated(true); return; }
      state.last = key;
      const y = window.scrollY;
      view.replaceChildren(out.node);
      if (quiet) window.scrollTo(0, y);
      view.dataset.ready = String(seq);
      markUpdated(true);
    } catch (e) {
      if (seq !== state.seq) return;
      if (e.status === 401) return;
      if (quiet) { markUpdated(false); return; }
      view.replaceChildren(errorBox(e));
      view.dataset.ready = String(seq);
    }
  }

  function rerender() { render(false); }

  function errorBox(e) {
    return h('div', { class: 'card error-card' }, h('h2', {}, 'Could not load this report'),
      h('p', {}, e.message + (e.parameter ? ` (parameter: ${e.parameter})` : '')));
  }

  // ---------- building blocks ----------
  function page(title, subtitle, ...kids) {
    return h('div', { class: 'page' }, h('div', { class: 'page-head' }, h('h1', {}, title), subtitle ? h('div', { class: 'muted' }, subtitle) : null), kids);
  }

  function card(title, ...kids) {
    return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, kids);
  }

  function kpis(items) {
    return h('div', { class: 'kpis' }, items.map((it) => h('div', { class: 'kpi', dataset: it.data || {} },
      h('div', { class: 'kpi-label' }, it.label),
      h('div', { class: 'kpi-value' + (it.value === DASH ? ' none' : ''), dataset: it.metric ? { metric: it.metric } : {} }, it.value),
      it.sub ? h('div', { class: 'kpi-sub muted' }, it.sub) : null)));
  }

  function table(columns, rows, opts) {
    opts = opts || {};
    return h('div', { class: 'table-wrap' }, h('table', { class: 'grid' + (opts.cls ? ' ' + opts.cls : '') },
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.num ? 'num' : '' }, c.label)))),
      h('tbody', {}, rows.length ? rows.map((r) => h('tr', r._attrs || {}, columns.map((c) => {
        const v = c.get(r);
        const cell = v instanceof Node ? v : (v === null || v === undefined ? DASH : String(v));
        return h('td', { class: c.num ? 'num' : '', dataset: c.metric ? { metric: c.metric, channel: r.channel || '' } : {} }, cell);
      }))) : h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, opts.empty || 'Nothing in this range.')))));
  }

  function tabs(names, current, onPick) {
    return h('div', { class: 'tabs', role: 'tablist' }, names.map(([v, label]) => h('button', {
      type: 'button', role: 'tab', class: v === current ? 'tab active' : 'tab', 'aria-selected': v === current ? 'true' : 'false',
      dataset: { tab: v }, onclick: () => onPick(v),
    }, label)));
  }

  function select(id, options, current, onChange) {
    return h('select', { id, onchange: (e) => onChange(e.target.value) },
      options.map(([v, label]) => h('option', { value: v, selected: v === current }, label)));
  }

  function idForm(placeholder, current, go) {
    const input = h('input', { type: 'text', value: current, placeholder, spellcheck: 'false', id: 'id-input' });
    return h('form', { class: 'inline-form', onsubmit: (e) => { e.preventDefault(); if (input.value.trim()) go(input.value.trim()); } },
      input, h('button', { type: 'submit', class: 'primary' }, 'Open'));
  }

  function badge(text, kind) { return h('span', { class: 'badge ' + (kind || text) }, text); }

  function link(href, text) { return h('a', { href }, text); }

  // ---------- charts (SVG) ----------
  // axis picks a round step and the number of steps covering v.
  function axis(v, integer) {
    if (!(v > 0)) v = 1;
    const x = v / 4;
    const p = Math.pow(10, Math.floor(Math.log10(x)));
    let step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((c) => c >= x - 1e-12);
    if (integer) step = Math.max(1, Math.ceil(step));
    const n = Math.max(1, Math.ceil(v / step - 1e-9));
    return { max: n * step, n };
  }

  function legend(series) {
    return h('div', { class: 'legend' }, series.map((se, i) => h('span', { class: 'legend-item' },
      h('span', { class: 'swatch c' + col(se.color ?? i) }), se.name)));
  }

  // barChart draws grouped (or stacked) vertical bars: categories on x,
  // one bar per series; format labels the y axis and tooltips.
  function barChart(opts) {
    const { categories, series } = opts;
    const fmt = opts.format || fmtInt;
    const W = opts.width || 1000, H = opts.height || 240, L = 56, R = 12, T = 12, B = 28;
    const iw = W - L - R, ih = H - T - B;
    const totals = categories.map((_, i) => opts.stacked
      ? series.reduce((a, se) => a + (se.values[i] || 0), 0)
      : Math.max(0, ...series.map((se) => se.values[i] || 0)));
    const ax = opts.max ? { max: opts.max, n: 4 } : axis(Math.max(0, ...totals), !opts.percent && fmt === fmtInt);
    const max = ax.max;
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, class: 'chart', role: 'img', 'aria-label': opts.title || 'chart' });
    for (let k = 0; k <= ax.n; k++) {
      const v = (max * k) / ax.n, y = T + ih - (ih * k) / ax.n;
      svg.append(s('line', { x1: L, x2: W - R, y1: y, y2: y, class: 'gridline' }),
        s('text', { x: L - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, fmt(opts.percent ? v / 100 : v)));
    }
    const n = Math.max(1, categories.length);
    const slot = iw / n;
    const groupW = Math.min(slot * 0.8, opts.stacked ? 48 : 22 * series.length + 8);
    const barW = opts.stacked ? groupW : groupW / Math.max(1, series.length);
    const every = Math.ceil(n / Math.max(1, Math.floor(iw / 64)));
    categories.forEach((c, i) => {
      const x0 = L + slot * i + (slot - groupW) / 2;
      let acc = 0;
      series.forEach((se, j) => {
        const v = se.values[i];
        if (v === null || v === undefined) return;
        const hgt = (ih * v) / max;
        const x = opts.stacked ? x0 : x0 + barW * j;
        const y = opts.stacked ? T + ih - (ih * (acc + v)) / max : T + ih - hgt;
        acc += v;
        svg.append(s('rect', { x: x + 0.5, y, width: Math.max(1, barW - 1), height: Math.max(0, hgt), class: 'bar c' + col(se.color ?? j), rx: 2 },
          s('title', {}, `${c} · ${se.name}: ${fmt(opts.percent ? v / 100 : v)}`)));
      });
      if (i % every === 0) {
        svg.append(s('text', { x: L + slot * i + slot / 2, y: H - B + 16, class: 'axis', 'text-anchor': 'middle' }, shorten(String(c), 14)));
      }
    });
    svg.append(s('line', { x1: L, x2: W - R, y1: T + ih, y2: T + ih, class: 'baseline' }));
    return h('figure', { class: 'figure' }, opts.title ? h('figcaption', {}, opts.title) : null, svg, series.length > 1 || opts.legend ? legend(series) : null);
  }

  function lineChart(opts) {
    const { categories, series } = opts;
    const fmt = opts.format || fmtInt;
    const W = opts.width || 1000, H = opts.height || 240, L = 56, R = 16, T = 12, B = 28;
    const iw = W - L - R, ih = H - T - B;
    const all = series.flatMap((se) => se.values.filter((v) => v !== null && v !== undefined));
    const ax = opts.max ? { max: opts.max, n: 4 } : axis(Math.max(0, ...all), fmt === fmtInt);
    const max = ax.max;
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, class: 'chart', role: 'img', 'aria-label': opts.title || 'chart' });
    for (let k = 0; k <= ax.n; k++) {
      const v = (max * k) / ax.n, y = T + ih - (ih * k) / ax.n;
      svg.append(s('line', { x1: L, x2: W - R, y1: y, y2: y, class: 'gridline' }),
        s('text', { x: L - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, fmt(v)));
    }
    const n = categories.length;
    const xAt = (i) => (n <= 1 ? L + iw / 2 : L + (iw * i) / (n - 1));
    const every = Math.ceil(n / Math.max(1, Math.floor(iw / 72)));
    categories.forEach((c, i) => {
      if (i % every === 0) svg.append(s('text', { x: xAt(i), y: H - B + 16, class: 'axis', 'text-anchor': 'middle' }, shorten(String(c), 12)));
    });
    series.forEach((se, j) => {
      const pts = se.values.map((v, i) => (v === null || v === undefined ? null : [xAt(i), T + ih - (ih * v) / max]));
      const d = pts.filter(Boolean).map((p, i) => (i ? 'L' : 'M') + p[0].toFixed(1) + ' ' + p[1].toFixed(1)).join(' ');
      if (d) svg.append(s('path', { d, class: 'line s' + col(se.color ?? j) }));
      pts.forEach((p, i) => {
        if (p) svg.append(s('circle', { cx: p[0], cy: p[1], r: 3, class: 'point c' + col(se.color ?? j) },
          s('title', {}, `${categories[i]} · ${se.name}: ${fmt(se.values[i])}`)));
      });
    });
    svg.append(s('line', { x1: L, x2: W - R, y1: T + ih, y2: T + ih, class: 'baseline' }));
    return h('figure', { class: 'figure' }, opts.title ? h('figcaption', {}, opts.title) : null, svg, legend(series));
  }

  // hbars draws one horizontal bar per row: {label, value, text?}.
  function hbars(opts) {
    const rows = opts.rows;
    const fmt = opts.format || fmtInt;
    const W = opts.width || 620, rowH = 26, L = Math.min(260, 40 + 7 * Math.max(4, ...rows.map((r) => String(r.label).length))), R = 90;
    const H = Math.max(1, rows.length) * rowH + 8;
    const max = opts.max || Math.max(0, ...rows.map((r) => r.value || 0)) || 1;
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: W, class: 'chart hchart', role: 'img', 'aria-label': opts.title || 'chart' });
    if (!rows.length) svg.append(s('text', { x: 8, y: 20, class: 'axis' }, 'No data in this range.'));
    rows.forEach((r, i) => {
      const y = 4 + i * rowH;
      const w = ((W - L - R) * (r.value || 0)) / max;
      svg.append(
        s('text', { x: L - 8, y: y + 16, class: 'label', 'text-anchor': 'end' }, shorten(String(r.label), 34)),
        s('rect', { x: L, y: y + 3, width: W - L - R, height: rowH - 8, class: 'track', rx: 3 }),
        s('rect', { x: L, y: y + 3, width: Math.max(r.value ? 2 : 0, w), height: rowH - 8, class: 'bar c' + col(r.color ?? opts.color ?? 0), rx: 3 },
          s('title', {}, `${r.label}: ${r.text ?? fmt(r.value)}`)),
        s('text', { x: W - R + 8, y: y + 16, class: 'value' }, r.text ?? fmt(r.value)));
    });
    return h('figure', { class: 'figure' }, opts.title ? h('figcaption', {}, opts.title) : null, svg);
  }

  function col(n) { return ((n % 8) + 8) % 8; }

  function shorten(t, n) { return t.length > n ? t.slice(0, n - 1) + '…' : t; }

  const pct = (r) => (r === null || r === undefined ? null : r * 100);

  // ---------- views ----------
  async function viewBroadcasts() {
    const ui = state.ui.broadcasts || (state.ui.broadcasts = { channel: '', status: '', cursors: [''] });
    const r = range();
    const cursor = ui.cursors[ui.cursors.length - 1];
    const data = await api('/v1/reports/broadcasts', { from: r.from, to: r.to, channel: ui.channel, status: ui.status, limit: 25, cursor });
    const list = data.broadcasts;
    let delivered = 0, clicked = 0, responded = 0, audience = 0;
    for (const b of list) for (const c of b.channels) { delivered += c.delivered; clicked += c.clicked; responded += c.responded; audience += c.audience; }
    const rows = [];
    for (const b of list) {
      const chans = b.channels.length ? b.channels : [{ channel: '' }];
      chans.forEach((c, i) => rows.push({ ...c, _b: b, _first: i === 0, _attrs: { dataset: { broadcast: b.broadcast_id, channel: c.channel || '' } } }));
    }
    const openRead = (c) => (c.channel === 'line' ? c.open_rate : c.read_rate);
    const chrono = list.slice().reverse();
    const node = page('Broadcasts', `${r.from} – ${r.to}, newest first`,
      h('div', { class: 'filters' },
        select('bc-channel', [['', 'All channels'], ...CHANNELS.map((c) => [c, chName(c)])], ui.channel, (v) => { ui.channel = v; ui.cursors = ['']; rerender(); }),
        select('bc-status', [['', 'Any status'], ...['scheduled', 'sending', 'completed', 'failed', 'cancelled', 'unknown'].map((x) => [x, x])], ui.status, (v) => { ui.status = v; ui.cursors = ['']; rerender(); })),
      kpis([
        { label: 'Broadcasts', value: fmtInt(list.length) + (data.next_cursor ? '+' : '') },
        { label: 'Audience', value: fmtInt(audience) },
        { label: 'Delivered people', value: fmtInt(delivered) },
        { label: 'Clicked', value: fmtInt(clicked), sub: delivered ? fmtRate(clicked / delivered) + ' of delivered' : null },
        { label: 'Responded', value: fmtInt(responded), sub: delivered ? fmtRate(responded / delivered) + ' of delivered' : null },
      ]),
      card('Reach and engagement per broadcast',
        barChart({
          categories: chrono.map((b) => b.broadcast_id),
          series: [
            { name: 'Delivered', values: chrono.map((b) => b.channels.reduce((a, c) => a + c.delivered, 0)) },
            { name: 'Clicked', values: chrono.map((b) => b.channels.reduce((a, c) => a + c.clicked, 0)) },
            { name: 'Responded', values: chrono.map((b) => b.channels.reduce((a, c) => a + c.responded, 0)) },
          ],
        })),
      card('Broadcast reports',
        table([
          { label: 'Broadcast', get: (c) => (c._first ? link('#/broadcasts/' + encodeURIComponent(c._b.broadcast_id), c._b.broadcast_id) : '') },
          { label: 'Status', get: (c) => (c._first ? badge(c._b.status) : '') },
          { label: 'Sent', get: (c) => (c._first ? fmtTime(c._b.sent_at) : '') },
          { label: 'Channel', get: (c) => chName(c.channel) },
          { label: 'Audience', num: true, get: (c) => fmtInt(c.audience) },
          { label: 'Delivered', num: true, get: (c) => fmtInt(c.delivered) },
          { label: 'Success', num: true, metric: 'success_rate', get: (c) => fmtRate(c.success_rate) },
          { label: 'Open / read', num: true, metric: 'open_read_rate', get: (c) => fmtRate(openRead(c)) },
          { label: 'Click', num: true, metric: 'click_rate', get: (c) => fmtRate(c.click_rate) },
          { label: 'Response', num: true, metric: 'response_rate', get: (c) => fmtRate(c.response_rate) },
          { label: 'Orders', num: true, get: (c) => fmtInt(c.orders) },
        ], rows, { empty: 'No broadcast in this range.', cls: 'broadcasts' }),
        h('div', { class: 'pager' },
          ui.cursors.length > 1 ? h('button', { type: 'button', class: 'ghost', onclick: () => { ui.cursors.pop(); rerender(); } }, '← Newer') : null,
          data.next_cursor ? h('button', { type: 'button', class: 'ghost', onclick: () => { ui.cursors.push(data.next_cursor); rerender(); } }, 'Older →') : null)));
    return { node, data };
  }

  async function viewBroadcast(id) {
    const ui = state.ui['b:' + id] || (state.ui['b:' + id] = { state: 'delivered', channel: '', cursors: [''] });
    const cursor = ui.cursors[ui.cursors.length - 1];
    const [rep, rec] = await Promise.all([
      api('/v1/reports/broadcasts/' + encodeURIComponent(id)),
      api('/v1/reports/broadcasts/' + encodeURIComponent(id) + '/recipients', { state: ui.state, channel: ui.channel, limit: 20, cursor }),
    ]);
    const chans = rep.channels;
    const sections = chans.map((c) => {
      const isLine = c.channel === 'line';
      const items = [
        { label: 'Audience', value: fmtInt(c.audience), metric: 'audience' },
        { label: 'Delivered people', value: fmtInt(c.delivered), metric: 'delivered' },
        { label: 'Failed', value: fmtInt(c.failed), metric: 'failed' },
        { label: 'Audience success rate', value: fmtRate(c.success_rate), metric: 'success_rate' },
        isLine ? { label: 'Open rate', value: fmtRate(c.open_rate), metric: 'open_rate', sub: c.opened === null ? 'no trackable message' : fmtInt(c.opened) + ' opened' }
          : { label: 'Read rate', value: fmtRate(c.read_rate), metric: 'read_rate', sub: c.read === null ? 'not tracked' : fmtInt(c.read) + ' read' },
        { label: 'Click rate (24 h)', value: fmtRate(c.click_rate), metric: 'click_rate', sub: fmtInt(c.clicked) + ' clicked' },
        { label: 'Response rate (48 h)', value: fmtRate(c.response_rate), metric: 'response_rate', sub: fmtInt(c.responded) + ' responded' },
        { label: 'Orders (30 d)', value: fmtInt(c.orders), sub: money(c.revenue) },
        { label: 'Estimated cost', value: c.estimated_cost ? `${c.estimated_cost.currency} ${c.estimated_cost.amount}` : DASH, sub: fmtInt(c.deliveries) + ' deliveries' },
      ];
      const opened = isLine ? c.opened : c.read;
      const funnel = [
        { label: 'Audience', value: c.audience },
        { label: 'Delivered', value: c.delivered, color: 1 },
        { label: isLine ? 'Opened' : 'Read', value: opened ?? 0, text: opened === null ? DASH : fmtInt(opened), color: 2 },
        { label: 'Clicked', value: c.clicked, color: 3 },
        { label: 'Responded', value: c.responded, color: 4 },
      ];
      const reasons = Object.entries(c.failed_by_reason || {}).sort((a, b) => b[1] - a[1]);
      return h('section', { class: 'card channel-card', dataset: { channel: c.channel } },
        h('h2', {}, chName(c.channel)),
        h('div', { dataset: { channel: c.channel } }, kpis(items.map((it) => ({ ...it, data: { channel: c.channel } })))),
        h('div', { class: 'two' },
          hbars({ title: 'Funnel (people)', rows: funnel, max: Math.max(1, c.audience) }),
          reasons.length ? hbars({ title: 'Failures by reason', rows: reasons.map(([k, v]) => ({ label: k, value: v, color: 3 })) }) : h('div', { class: 'muted note' }, 'No failed delivery.')),
        c.buttons.length ? h('div', { class: 'two' },
          hbars({ title: 'Clicks per button (people, 24 h)', rows: c.buttons.map((b) => ({ label: b.button_id, value: b.clicked, text: `${fmtInt(b.clicked)} · ${fmtRate(b.click_rate)}` })) }),
          table([
            { label: 'Button', get: (b) => b.button_id },
            { label: 'Kind', get: (b) => b.kind },
            { label: 'URL', get: (b) => b.url || '' },
            { label: 'People', num: true, get: (b) => fmtInt(b.clicked) },
            { label: 'Clicks', num: true, get: (b) => fmtInt(b.clicks) },
            { label: 'Click rate', num: true, get: (b) => fmtRate(b.click_rate) },
          ], c.buttons)) : h('div', { class: 'muted note' }, 'No url or module button was clicked.'));
    });
    const compare = chans.length > 1 ? card('Channels compared',
      barChart({
        categories: chans.map((c) => chName(c.channel)), percent: true, format: fmtRate, max: 100,
        series: [
          { name: 'Success', values: chans.map((c) => pct(c.success_rate)) },
          { name: 'Open / read', values: chans.map((c) => pct(c.channel === 'line' ? c.open_rate : c.read_rate)) },
          { name: 'Click', values: chans.map((c) => pct(c.click_rate)) },
          { name: 'Response', values: chans.map((c) => pct(c.response_rate)) },
        ],
      })) : null;
    const states = [['delivered', 'Delivered'], ['failed', 'Failed'], ['opened', 'Opened'], ['read', 'Read'], ['clicked', 'Clicked'], ['responded', 'Responded']];
    const recipients = card('Recipients',
      h('div', { class: 'filters' },
        tabs(states, ui.state, (v) => { ui.state = v; ui.cursors = ['']; rerender(); }),
        select('rc-channel', [['', 'All channels'], ...chans.map((c) => [c.channel, chName(c.channel)])], ui.channel, (v) => { ui.channel = v; ui.cursors = ['']; rerender(); })),
      table([
        { label: 'Channel', get: (x) => chName(x.channel) },
        { label: 'Account', get: (x) => x.channel_id },
        { label: 'Contact', get: (x) => x.contact_id },
        { label: 'Customer', get: (x) => (x.customer_id ? link('#/customer/' + encodeURIComponent(x.customer_id), x.customer_id) : '') },
        { label: 'When', get: (x) => fmtTime(x.at) },
        ui.state === 'failed' ? { label: 'Reason', get: (x) => x.reason || '' } : null,
      ].filter(Boolean), rec.recipients, { empty: 'Nobody in this list.' }),
      h('div', { class: 'pager' },
        ui.cursors.length > 1 ? h('button', { type: 'button', class: 'ghost', onclick: () => { ui.cursors.pop(); rerender(); } }, '← Previous') : null,
        rec.next_cursor ? h('button', { type: 'button', class: 'ghost', onclick: () => { ui.cursors.push(rec.next_cursor); rerender(); } }, 'Next →') : null));
    const node = page('Broadcast ' + rep.broadcast_id, null,
      h('div', { class: 'meta' }, badge(rep.status), h('span', {}, 'Sent ' + fmtTime(rep.sent_at)),
        rep.scheduled_at ? h('span', {}, 'Scheduled ' + fmtTime(rep.scheduled_at)) : null,
        rep.ended_at ? h('span', {}, 'Ended ' + fmtTime(rep.ended_at)) : null,
        link('#/broadcasts', '← All broadcasts')),
      chans.length ? null : h('div', { class: 'card muted' }, 'No message of this broadcast yet.'),
      compare, sections, recipients);
    return { node, data: [rep, rec] };
  }

  async function viewJourney(id) {
    const ui = state.ui.journeys || (state.ui.journeys = { recent: JSON.parse(sessionStorage.getItem('omnistream.journeys') || '[]') });
    const go = (v) => {
      ui.recent = [v, ...ui.recent.filter((x) => x !== v)].slice(0, 8);
      sessionStorage.setItem('omnistream.journeys', JSON.stringify(ui.recent));
      location.hash = '#/journeys/' + encodeURIComponent(v);
    };
    const head = h('div', { class: 'filters' }, idForm('Journey id', id, go),
      ui.recent.length ? h('span', { class: 'recent' }, 'Recent: ', ui.recent.map((x) => link('#/journeys/' + encodeURIComponent(x), x))) : null);
    if (!id) return { node: page('Journeys', 'Per-node sends, opens, reads, clicks, responses and unsubscribes', head, h('div', { class: 'card muted' }, 'Enter a journey id to open its report.')), data: null };
    const r = range();
    let rep;
    try {
      rep = await api('/v1/reports/journeys/' + encodeURIComponent(id), { from: r.from, to: r.to });
    } catch (e) {
      if (e.status !== 404) throw e;
      return { node: page('Journey ' + id, null, head, h('div', { class: 'card muted' }, 'This journey has no sends in this range.')), data: 404 };
    }
    const nodes = rep.nodes;
    const t = rep.total;
    const node = page('Journey ' + rep.journey_id, `${r.from} – ${r.to}; every rate is over successful sends`, head,
      kpis([
        { label: 'Successful sends', value: fmtInt(t.sends) },
        { label: 'Failed sends', value: fmtInt(t.failed) },
        { label: 'Open rate', value: fmtRate(t.open_rate) },
        { label: 'Read rate', value: fmtRate(t.read_rate) },
        { label: 'Click rate', value: fmtRate(t.click_rate) },
        { label: 'Response 24 h', value: fmtRate(t.response_rate_24h) },
        { label: 'Unsubscribe / block', value: fmtRate(t.unsubscribe_rate) },
      ]),
      h('div', { class: 'two' },
        card('Sends per node', barChart({ categories: nodes.map((n) => n.node_id), series: [{ name: 'Sends', values: nodes.map((n) => n.sends) }, { name: 'Failed', values: nodes.map((n) => n.failed), color: 3 }], width: 520 })),
        card('Rates per node', barChart({
          categories: nodes.map((n) => n.node_id), percent: true, format: fmtRate, width: 520,
          series: [
            { name: 'Click', values: nodes.map((n) => pct(n.click_rate)) },
            { name: 'Response 24 h', values: nodes.map((n) => pct(n.response_rate_24h)) },
            { name: 'Unsubscribe', values: nodes.map((n) => pct(n.unsubscribe_rate)), color: 3 },
          ],
        }))),
      card('Nodes', table([
        { label: 'Node', get: (n) => n.node_id },
        { label: 'Sends', num: true, get: (n) => fmtInt(n.sends) },
        { label: 'Failed', num: true, get: (n) => fmtInt(n.failed) },
        { label: 'Open', num: true, get: (n) => fmtRate(n.open_rate) },
        { label: 'Read', num: true, get: (n) => fmtRate(n.read_rate) },
        { label: 'Click', num: true, get: (n) => fmtRate(n.click_rate) },
        { label: 'Resp. 12 h', num: true, get: (n) => fmtRate(n.response_rate_12h) },
        { label: 'Resp. 24 h', num: true, get: (n) => fmtRate(n.response_rate_24h) },
        { label: 'Resp. 48 h', num: true, get: (n) => fmtRate(n.response_rate_48h) },
        { label: 'Unsubscribe', num: true, get: (n) => fmtRate(n.unsubscribe_rate) },
      ], [...nodes, { ...t, node_id: 'Total' }])));
    return { node, data: rep };
  }

  async function viewTags() {
    const r = range();
    const rep = await api('/v1/reports/tags', { from: r.from, to: r.to, limit: 100 });
    const days = rep.daily;
    const top = rep.tags.slice(0, 12);
    const node = page('Tags', `${r.from} – ${r.to}`,
      kpis([
        { label: 'Tag count', value: fmtInt(rep.totals.tag_count), sub: 'applications' },
        { label: 'Tagged people', value: fmtInt(rep.totals.tagged_people), sub: 'distinct contacts' },
        { label: 'Tags used', value: fmtInt(rep.tags.length) },
      ]),
      card('Per day', barChart({
        categories: days.map((d) => d.date.slice(5)),
        series: [{ name: 'Tag count', values: days.map((d) => d.tag_count) }, { name: 'Tagged people', values: days.map((d) => d.tagged_people), color: 1 }],
      })),
      h('div', { class: 'two' },
        card('Most applied', hbars({ rows: top.map((t) => ({ label: t.tag, value: t.tag_count, text: `${fmtInt(t.tag_count)} · ${fmtInt(t.tagged_people)} people` })), width: 520 })),
        card('Tags', table([
          { label: 'Tag', get: (t) => t.tag },
          { label: 'Tagged people', num: true, get: (t) => fmtInt(t.tagged_people) },
          { label: 'Tag count', num: true, get: (t) => fmtInt(t.tag_count) },
          { label: 'Last tagged', get: (t) => fmtTime(t.last_tagged) },
        ], rep.tags))),
      card('Application log' + (rep.log.truncated ? ' (latest 100)' : ''), table([
        { label: 'Time', get: (a) => fmtTime(a.time) },
        { label: 'Channel', get: (a) => chName(a.channel_type) },
        { label: 'Account', get: (a) => a.channel_id },
        { label: 'User', get: (a) => a.user_id },
        { label: 'Tag', get: (a) => a.tag },
        { label: 'Source', get: (a) => a.source },
      ], rep.log.rows)));
    return { node, data: rep };
  }

  async function viewOmniLink(campaign) {
    const ui = state.ui.omnilink || (state.ui.omnilink = { recent: JSON.parse(sessionStorage.getItem('omnistream.campaigns') || '[]') });
    const go = (v) => {
      ui.recent = [v, ...ui.recent.filter((x) => x !== v)].slice(0, 8);
      sessionStorage.setItem('omnistream.campaigns', JSON.stringify(ui.recent));
      location.hash = '#/omnilink/' + encodeURIComponent(v);
    };
    const head = h('div', { class: 'filters' }, idForm('Campaign id', campaign, go),
      ui.recent.length ? h('span', { class: 'recent' }, 'Recent: ', ui.recent.map((x) => link('#/omnilink/' + encodeURIComponent(x), x))) : null);
    if (!campaign) return { node: page('OmniLink campaigns', 'Cross-channel linking: participants, successes and failures', head, h('div', { class: 'card muted' }, 'Enter a campaign id to open its report.')), data: null };
    const r = range();
    let rep;
    try {
      rep = await api('/v1/reports/omnilink/' + encodeURIComponent(campaign), { from: r.from, to: r.to, limit: 100 });
    } catch (e) {
      if (e.status !== 404) throw e;
      return { node: page('Campaign ' + campaign, null, head, h('div', { class: 'card muted' }, 'No participant of this campaign.')), data: 404 };
    }
    const reasons = rep.failures_by_reason.map((x) => ({ label: x.reason, value: x.count, color: 3 }));
    if (rep.failures_without_reason) reasons.push({ label: 'did not submit / app not installed', value: rep.failures_without_reason, color: 2 });
    const node = page('Campaign ' + rep.campaign, `Participants who first clicked ${r.from} – ${r.to}`, head,
      kpis([
        { label: 'Participants', value: fmtInt(rep.participants) },
        { label: 'Successes', value: fmtInt(rep.successes), sub: rep.participants ? fmtRate(rep.successes / rep.participants) : null },
        { label: 'New target contacts', value: fmtInt(rep.target_new_contacts) },
        { label: 'Failures', value: fmtInt(rep.failures) },
      ]),
      h('div', { class: 'two' },
        card('Outcome', hbars({ rows: [{ label: 'Successes', value: rep.successes, color: 1 }, { label: 'Failures', value: rep.failures, color: 3 }], width: 520 })),
        card('Failures by reason', hbars({ rows: reasons, width: 520 }))),
      card('Successes', table([
        { label: 'Source', get: (x) => `${x.source_name || x.source_id} (${chName(x.source_channel_type)})` },
        { label: 'Target', get: (x) => `${x.target_name || x.target_id} (${chName(x.target_channel_type)})` },
        { label: 'Clicked', get: (x) => fmtTime(x.clicked_at) },
        { label: 'Succeeded', get: (x) => fmtTime(x.succeeded_at) },
        { label: 'New', get: (x) => (x.new_contact ? 'yes' : 'no') },
      ], rep.success_list.rows)),
      card('Failures', table([
        { label: 'Source', get: (x) => `${x.source_name || x.source_id} (${chName(x.source_channel_type)})` },
        { label: 'Clicked', get: (x) => fmtTime(x.clicked_at) },
        { label: 'Reason', get: (x) => x.reason || 'did not submit / app not installed' },
      ], rep.failure_list.rows)));
    return { node, data: rep };
  }

  async function viewContacts() {
    const ui = state.ui.contacts || (state.ui.contacts = { log: 'added' });
    const r = range();
    const rep = await api('/v1/reports/contacts', { from: r.from, to: r.to, limit: 100 });
    const days = rep.daily;
    const log = rep.logs[ui.log];
    const node = page('Contacts', `${r.from} – ${r.to}`,
      kpis([
        { label: 'Added', value: fmtInt(rep.totals.added) },
        { label: 'Connected', value: fmtInt(rep.totals.connected) },
        { label: 'Deleted', value: fmtInt(rep.totals.deleted) },
        { label: 'Merged', value: fmtInt(rep.totals.merged) },
      ]),
      card('Per day', barChart({
        categories: days.map((d) => d.date.slice(5)),
        series: [
          { name: 'Added', values: days.map((d) => d.added) },
          { name: 'Connected', values: days.map((d) => d.connected), color: 1 },
          { name: 'Deleted', values: days.map((d) => d.deleted), color: 3 },
          { name: 'Merged', values: days.map((d) => d.merged), color: 4 },
        ],
      })),
      h('div', { class: 'two' },
        card('Added by source', hbars({ rows: rep.added_by_source.map((x) => ({ label: x.source, value: x.count })), width: 520 })),
        card('Connected by channel', hbars({ rows: rep.connected_by_channel.map((x) => ({ label: `${chName(x.channel_type)} ${x.channel_id}`, value: x.count, color: 1 })), width: 520 }))),
      card('Logs',
        tabs([['added', 'Added'], ['connected', 'Connected'], ['deleted', 'Deleted'], ['merged', 'Merged']], ui.log, (v) => { ui.log = v; rerender(); }),
        table([
          { label: 'Time', get: (x) => fmtTime(x.time) },
          { label: 'Channel', get: (x) => chName(x.channel_type) },
          { label: 'Contact', get: (x) => x.contact_id },
          { label: 'Name', get: (x) => x.name },
          { label: 'Source', get: (x) => x.source },
          { label: 'User', get: (x) => x.user },
        ], log.rows),
        log.truncated ? h('div', { class: 'muted note' }, 'Showing the latest 100 rows; use an export for the full log.') : null));
    return { node, data: rep };
  }

  async function viewCustomers() {
    const ui = state.ui.customers || (state.ui.customers = { unit: 'month', channels: [] });
    const r = range();
    const rep = await api('/v1/reports/customers', { from: r.from, to: r.to, unit: ui.unit, channel: ui.channels });
    const c = rep.customers;
    const chans = rep.channels;
    const periods = [...new Set(chans.flatMap((x) => x.points.map((p) => p.period)))].sort();
    const at = (x, p, f) => { const pt = x.points.find((q) => q.period === p); return pt ? pt[f] : 0; };
    const name = (x) => `${chName(x.channel_type)} ${x.channel_id}`;
    const methods = [...new Set(rep.binding_methods.flatMap((m) => m.methods.map((x) => x.method)))];
    const sources = [...new Set(rep.new_contact_sources.flatMap((m) => m.sources.map((x) => x.source)))];
    const picker = h('div', { class: 'chips' }, CHANNELS.map((ch) => h('label', { class: 'chip' },
      h('input', { type: 'checkbox', checked: ui.channels.includes(ch), onchange: (e) => {
        if (e.target.checked) ui.channels = [...ui.channels, ch].slice(-5); else ui.channels = ui.channels.filter((x) => x !== ch);
        rerender();
      } }), chName(ch))));
    const node = page('Omni-customer analysis', `${r.from} – ${r.to}`,
      h('div', { class: 'filters' },
        tabs([['week', 'Week'], ['month', 'Month'], ['year', 'Year']], ui.unit, (v) => { ui.unit = v; rerender(); }),
        h('span', { class: 'muted' }, 'Compare up to 5 channels:'), picker),
      kpis([
        { label: 'Omni-customers', value: fmtInt(c.omni_customers) },
        { label: 'Socially bound', value: fmtInt(c.socially_bound), sub: fmtRate(c.socially_bound_share) },
        { label: 'Website members', value: fmtInt(c.website_members), sub: fmtRate(c.website_members_share) },
        { label: 'Members also bound', value: fmtInt(c.bound_members), sub: fmtRate(c.bound_members_share) },
      ]),
      h('div', { class: 'two' },
        card('Contacts per ' + ui.unit, lineChart({ categories: periods, series: chans.map((x, i) => ({ name: name(x), values: periods.map((p) => at(x, p, 'contacts')), color: i })), width: 520 })),
        card('New contacts per ' + ui.unit, barChart({ categories: periods, series: chans.map((x, i) => ({ name: name(x), values: periods.map((p) => at(x, p, 'new_contacts')), color: i })), width: 520, legend: true }))),
      h('div', { class: 'two' },
        card('Unsubscribes and blocks per ' + ui.unit, barChart({ categories: periods, series: chans.map((x, i) => ({ name: name(x), values: periods.map((p) => at(x, p, 'unsubscribes')), color: i })), width: 520, legend: true })),
        card('Effective (subscribed) share', hbars({ rows: chans.map((x, i) => ({ label: name(x), value: pct(x.effective_share) ?? 0, text: fmtRate(x.effective_share), color: i })), max: 100, width: 520 }))),
      card('Channels', table([
        { label: 'Channel', get: (x) => name(x) },
        { label: 'Contacts', num: true, get: (x) => fmtInt(x.contacts) },
        { label: 'Effective', num: true, get: (x) => fmtInt(x.effective_contacts) },
        { label: 'Effective share', num: true, get: (x) => fmtRate(x.effective_share) },
        { label: 'Unsubscribed', num: true, get: (x) => fmtInt(x.unsubscribed) },
      ], chans)),
      h('div', { class: 'two' },
        card('Binding methods per month', barChart({
          categories: rep.binding_methods.map((m) => m.month.slice(0, 7)), stacked: true, width: 520, legend: true,
          series: methods.map((k, i) => ({ name: k, color: i, values: rep.binding_methods.map((m) => m.methods.filter((x) => x.method === k).reduce((a, x) => a + x.count, 0)) })),
        })),
        card('New-contact sources per month', barChart({
          categories: rep.new_contact_sources.map((m) => m.month.slice(0, 7)), stacked: true, width: 520, legend: true,
          series: sources.map((k, i) => ({ name: k, color: i, values: rep.new_contact_sources.map((m) => (m.sources.find((x) => x.source === k) || { count: 0 }).count) })),
        }))));
    return { node, data: rep };
  }

  async function viewCustomer(id) {
    const c = await api('/v1/customers/' + encodeURIComponent(id));
    const node = page('Customer ' + c.customer_id, c.member_id ? 'Member ' + c.member_id : 'No website member id',
      kpis([
        { label: 'Contacts', value: fmtInt(c.contacts.length) },
        { label: 'Last interaction', value: fmtTime(c.last_interaction_at) },
        { label: 'Last marketing message', value: fmtTime(c.last_marketing_at) },
        { label: 'Last checkout', value: fmtTime(c.last_checkout_at) },
      ]),
      card('Identifiers', h('p', {}, 'Phones: ', c.phones.join(', ') || DASH, ' · Emails: ', c.emails.join(', ') || DASH,
        ' · Binding: ', c.binding_methods.join(', ') || DASH, ' · Tags: ', c.tags.join(', ') || DASH)),
      card('Contacts', table([
        { label: 'Channel', get: (x) => chName(x.channel_type) },
        { label: 'Account', get: (x) => x.channel_id },
        { label: 'User', get: (x) => x.user_id },
        { label: 'Name', get: (x) => x.name },
        { label: 'Subscribed', get: (x) => (x.subscribed ? 'yes' : 'no') },
        { label: 'Tags', get: (x) => x.tags.join(', ') },
        { label: 'Last interaction', get: (x) => fmtTime(x.last_interaction_at) },
      ], c.contacts)));
    return { node, data: c };
  }

  // ---------- wiring ----------
  function init() {
    $('login-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const key = $('key').value.trim();
      $('login-error').textContent = '';
      $('login-submit').disabled = true;
      try {
        await signIn(key);
      } catch (err) {
        state.key = '';
        $('login-error').textContent = err.message;
      } finally {
        $('login-submit').disabled = false;
      }
    });
    $('logout').addEventListener('click', () => signOut(''));
    $('pause').addEventListener('click', () => {
      state.paused = !state.paused;
      $('pause').textContent = state.paused ? 'Resume' : 'Pause';
      $('live-dot').className = 'dot ' + (state.paused ? 'paused' : 'on');
      if (!state.paused) render(true);
    });
    $('preset').addEventListener('change', (e) => {
      state.preset = e.target.value;
      syncRangeInputs();
      resetPaging();
      rerender();
    });
    for (const id of ['from', 'to']) {
      $(id).addEventListener('change', () => {
        if (!$('from').value || !$('to').value) return;
        state.preset = 'custom';
        state.from = $('from').value;
        state.to = $('to').value;
        if (state.to < state.from) [state.from, state.to] = [state.to, state.from];
        syncRangeInputs();
        resetPaging();
        rerender();
      });
    }
    window.addEventListener('hashchange', () => render(false));
    if (state.key) {
      signIn(state.key).catch((err) => signOut(err.message));
    } else {
      signOut('');
    }
  }

  function resetPaging() {
    for (const v of Object.values(state.ui)) if (v && v.cursors) v.cursors = [''];
  }

  init();
})();
