// The web console: a single page over the HTTP API (/api/v1), routed by the URL's hash.
// Plain ES2017, no framework, nothing loaded from anywhere but this origin.
//
// Everything the API returns may be hostile (a target's name, a model's reply, a prompt): it is
// only ever put on the page as text (textContent, text nodes, element values), never as markup,
// so it can neither run nor style anything; the Content-Security-Policy would refuse inline
// script and style besides.
'use strict';

(function () {
  const API = '/api/v1';

  // ---- credentials ----
  // The token (or API key) lives in sessionStorage: it survives a reload of this tab but not
  // the tab itself, and no other tab or later visit sees it. It is never put in a cookie (no
  // request carries it unasked, so there is no CSRF surface) nor in a URL (which would end up
  // in logs and history); it is sent only as a header by fetch().
  const store = window.sessionStorage;
  const CRED = 'vutf.credential';

  function credential() {
    try {
      return JSON.parse(store.getItem(CRED) || 'null');
    } catch (e) {
      return null;
    }
  }
  function setCredential(c) {
    if (c) store.setItem(CRED, JSON.stringify(c));
    else store.removeItem(CRED);
  }
  function authHeaders() {
    const c = credential();
    if (!c) return {};
    return c.kind === 'key' ? { 'X-API-Key': c.value } : { Authorization: 'Bearer ' + c.value };
  }

  // ---- DOM helpers: text only ----
  // el('td', {className: 'x'}, 'text', child): strings become text nodes, never markup.
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k in node) node[k] = v;
      else node.setAttribute(k, v);
    }
    append(node, children);
    return node;
  }
  // Appends a child, or every child of (nested) arrays of them.
  function append(node, children) {
    for (const c of [children].flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }
  const view = () => document.getElementById('view');

  // Shows a failure to the user (a problem's detail and bad fields, or the error's text).
  function failed(e) {
    notice(e instanceof api_error ? e.describe() : String(e), 'error');
  }

  function notice(text, kind) {
    const n = document.getElementById('notice');
    n.textContent = text || '';
    n.className = 'notice ' + (kind || '');
    n.hidden = !text;
  }

  // ---- the API ----
  class api_error extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || 'HTTP ' + status);
      this.status = status;
      this.problem = problem || {};
    }
    // "detail" plus every bad field of a 422, as one line of text.
    describe() {
      const fields = (this.problem.errors || []).map((e) => (e.field || e.name) + ': ' + e.message);
      return [this.message].concat(fields).join(' — ');
    }
  }

  async function request(method, path, options) {
    const o = options || {};
    const headers = Object.assign({ Accept: o.accept || 'application/json' }, authHeaders());
    let body;
    if (o.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(o.json);
    }
    const res = await fetch(API + path, {
      method, headers, body, signal: o.signal, credentials: 'omit', cache: 'no-store',
    });
    if (!res.ok) {
      let problem = null;
      try {
        problem = await res.json();
      } catch (e) {
        problem = null;
      }
      const err = new api_error(res.status, problem);
      // A credential that stopped working (expired, revoked): back to signing in.
      if (res.status === 401 && credential()) signedOut('Your session ended: please sign in again.');
      throw err;
    }
    return res;
  }
  async function get(path) {
    return (await request('GET', path)).json();
  }
  async function send(method, path, json) {
    const res = await request(method, path, { json });
    return res.status === 204 ? null : res.json();
  }
  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
    const s = q.toString();
    return s ? '?' + s : '';
  }

  // ---- routing ----
  let leave = null;  // what the current view must stop when another opens (an event stream)

  const routes = [
    [/^#\/signin$/, signInView, false],
    [/^#\/targets$/, targetsView, true],
    [/^#\/scans$/, scansView, true],
    [/^#\/scans\/new$/, newScanView, true],
    [/^#\/scans\/([0-9a-f-]{36})$/, scanView, true],
    [/^#\/scans\/([0-9a-f-]{36})\/diff$/, diffView, true],
  ];

  function go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  async function route() {
    if (leave) {
      leave();
      leave = null;
    }
    const signed = !!credential();
    document.getElementById('nav').hidden = !signed;
    const hash = location.hash || (signed ? '#/targets' : '#/signin');
    const path = hash.split('?')[0];  // #/scans/new?target=<id>: the query is the view's
    for (const [pattern, show, needsAuth] of routes) {
      const m = path.match(pattern);
      if (!m) continue;
      if (needsAuth && !signed) return go('#/signin');
      clear(view());
      try {
        await show(...m.slice(1));
      } catch (e) {
        failed(e);
      }
      return;
    }
    go(signed ? '#/targets' : '#/signin');
  }

  function signedOut(message) {
    setCredential(null);
    const who = document.getElementById('who');
    who.textContent = '';
    notice(message || '', message ? 'error' : '');
    go('#/signin');
  }

  // A form's submit handler that shows what went wrong instead of losing it.
  function onSubmit(form, handler) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      try {
        notice('');
        await handler();
      } catch (e) {
        failed(e);
      } finally {
        if (button) button.disabled = false;
      }
    });
    return form;
  }

  function field(label, input) {
    return el('label', {}, label, input);
  }

  // ---- sign in ----
  async function signInView() {
    const username = el('input', { type: 'text', id: 'signin-username', autocomplete: 'username', required: true });
    const password = el('input', {
      type: 'password', id: 'signin-password', autocomplete: 'current-password', required: true,
    });
    const login = onSubmit(
      el('form', { id: 'signin-form' },
        field('Username or email', username),
        field('Password', password),
        el('button', { type: 'submit', id: 'signin-submit' }, 'Sign in')),
      async () => {
        const name = username.value.trim();
        const body = name.includes('@') ? { email: name, password: password.value }
          : { username: name, password: password.value };
        const t = await send('POST', '/auth/login', body);
        setCredential({ kind: 'bearer', value: t.access_token });
        await afterSignIn();
      });
    const key = el('input', { type: 'password', id: 'signin-key', autocomplete: 'off', required: true });
    const withKey = onSubmit(
      el('form', { id: 'key-form' },
        field('API key', key),
        el('button', { type: 'submit', id: 'key-submit' }, 'Use API key')),
      async () => {
        setCredential({ kind: 'key', value: key.value.trim() });
        await afterSignIn();
      });
    append(view(), [
      el('section', {}, el('h2', {}, 'Sign in'), login),
      el('section', {}, el('h2', {}, 'Or paste an API key'), withKey),
    ]);
  }

  async function afterSignIn() {
    try {
      const me = await get('/users/me');
      document.getElementById('who').textContent = me.username;
    } catch (e) {
      // An API key may see data without reading the account (its owner's name is optional).
      if (!(e instanceof api_error) || e.status === 401) throw e;
    }
    go('#/targets');
  }

  // ---- targets ----
  async function targetsView() {
    const page = await get('/targets' + query({ per_page: 100, sort: 'created_at' }));
    const rows = page.items.map((t) => el('tr', { dataset: { id: t.id } },
      el('td', { className: 'text target-name' }, t.name),
      el('td', {}, t.kind),
      el('td', { className: 'text' }, t.endpoint_url),
      el('td', {}, t.model || ''),
      el('td', {}, el('a', { href: '#/scans/new?target=' + encodeURIComponent(t.id) }, 'Scan'))));
    const table = el('table', { id: 'targets-table' },
      el('thead', {}, el('tr', {}, ['Name', 'Kind', 'Endpoint', 'Model', ''].map((h) => el('th', {}, h)))),
      el('tbody', {}, rows));

    const name = el('input', { type: 'text', id: 'target-name', required: true, maxLength: 100 });
    const kind = el('select', { id: 'target-kind' },
      el('option', { value: 'openai-chat' }, 'openai-chat'),
      el('option', { value: 'http-json' }, 'http-json'));
    const url = el('input', { type: 'url', id: 'target-url', required: true, placeholder: 'https://api.example.com/v1' });
    const model = el('input', { type: 'text', id: 'target-model' });
    const template = el('textarea', { id: 'target-template', rows: 3, placeholder: '{"input": "{{prompt}}"}' });
    const responsePath = el('input', { type: 'text', id: 'target-response-path', placeholder: '$.result.text' });
    const httpJson = el('div', { hidden: true },
      field('Request template (JSON, with {{prompt}})', template),
      field('Response path', responsePath));
    kind.addEventListener('change', () => { httpJson.hidden = kind.value !== 'http-json'; });
    const form = onSubmit(
      el('form', { id: 'target-form' },
        field('Name', name), field('Kind', kind), field('Endpoint URL', url),
        field('Model', model), httpJson,
        el('button', { type: 'submit', id: 'target-create' }, 'Create target')),
      async () => {
        const body = { name: name.value, kind: kind.value, endpoint_url: url.value.trim() };
        if (model.value.trim()) body.model = model.value.trim();
        if (kind.value === 'http-json') {
          try {
            body.request_template = JSON.parse(template.value);
          } catch (e) {
            throw new Error('The request template is not JSON: ' + e.message);
          }
          if (responsePath.value.trim()) body.response_path = responsePath.value.trim();
        }
        const t = await send('POST', '/targets', body);
        notice('Created target ' + t.name + '.', 'ok');
        await route();
      });
    append(view(), [
      el('section', {}, el('h2', {}, 'Targets'),
        page.items.length ? table : el('p', { className: 'muted' }, 'No targets yet.')),
      el('section', {}, el('h2', {}, 'New target'), form),
    ]);
  }

  // ---- scans ----
  function statusText(s) {
    return s.status + (s.gate ? ' (gate ' + s.gate + ')' : '');
  }

  async function scansView() {
    const [page, targets] = await Promise.all([
      get('/scans' + query({ per_page: 50 })), targetNames()]);
    const rows = page.items.map((s) => el('tr', {},
      el('td', {}, el('a', { href: '#/scans/' + s.id }, short(s.id))),
      el('td', { className: 'text' }, targets.get(s.target_id) || s.target_id),
      el('td', {}, statusText(s)),
      el('td', {}, s.progress.done + ' / ' + s.progress.total),
      el('td', {}, String(s.summary.findings)),
      el('td', {}, s.created_at)));
    append(view(), el('section', {}, el('h2', {}, 'Scans'),
      page.items.length
        ? el('table', { id: 'scans-table' },
          el('thead', {}, el('tr', {}, ['Scan', 'Target', 'Status', 'Progress', 'Findings', 'Created'].map((h) => el('th', {}, h)))),
          el('tbody', {}, rows))
        : el('p', { className: 'muted' }, 'No scans yet.')));
  }

  async function targetNames() {
    const page = await get('/targets' + query({ per_page: 100 }));
    return new Map(page.items.map((t) => [t.id, t.name]));
  }

  async function newScanView() {
    const wanted = new URLSearchParams(location.hash.split('?')[1] || '').get('target');
    const [targets, probes, converters] = await Promise.all([
      get('/targets' + query({ per_page: 100, sort: 'name' })),
      get('/probes' + query({ per_page: 100 })),
      get('/converters')]);
    const target = el('select', { id: 'scan-target', required: true },
      targets.items.map((t) => el('option', { value: t.id, selected: t.id === wanted }, t.name)));
    const probeBoxes = el('fieldset', { id: 'scan-probes' }, el('legend', {}, 'Probe sets'),
      probes.items.map((p) => el('label', {},
        el('input', { type: 'checkbox', name: 'probe', value: p.id }),
        el('span', {}, p.id), el('span', { className: 'muted' }, p.name + ' (' + p.prompt_count + ' prompts)'))));
    const converterBoxes = el('fieldset', { id: 'scan-converters' }, el('legend', {}, 'Converters'),
      converters.map((c) => el('label', {},
        el('input', { type: 'checkbox', name: 'converter', value: c.id }),
        el('span', {}, c.id), el('span', { className: 'muted' }, c.description))));
    const maxPrompts = el('input', { type: 'number', id: 'scan-max-prompts', min: 1 });
    const severity = el('select', { id: 'scan-fail-severity' },
      ['', 'low', 'medium', 'high', 'critical'].map((s) => el('option', { value: s }, s || '(none)')));
    const maxRate = el('input', { type: 'number', id: 'scan-fail-rate', min: 0, max: 1, step: 0.01 });
    const checked = (box) => Array.from(box.querySelectorAll('input:checked')).map((i) => i.value);
    const form = onSubmit(
      el('form', { id: 'scan-form' },
        field('Target', target), probeBoxes, converterBoxes,
        field('Max prompts (optional)', maxPrompts),
        el('fieldset', {}, el('legend', {}, 'Gate (fail_on, optional)'),
          field('Fail at severity', severity), field('Fail above attack success rate (0–1)', maxRate)),
        el('button', { type: 'submit', id: 'scan-start' }, 'Start scan')),
      async () => {
        const body = { target_id: target.value, probes: checked(probeBoxes), converters: checked(converterBoxes) };
        if (maxPrompts.value) body.max_prompts = Number(maxPrompts.value);
        const failOn = {};
        if (severity.value) failOn.severity = severity.value;
        if (maxRate.value !== '') failOn.max_attack_success_rate = Number(maxRate.value);
        if (Object.keys(failOn).length) body.fail_on = failOn;
        const s = await send('POST', '/scans', body);
        go('#/scans/' + s.id);
      });
    append(view(), el('section', {}, el('h2', {}, 'Start a scan'),
      targets.items.length ? form : el('p', { className: 'muted' }, 'Create a target first.')));
  }

  // One scan: its facts, live progress, findings with triage, reports and the way to its diff.
  async function scanView(id) {
    const scan = await get('/scans/' + id);
    const targets = await targetNames();
    const status = el('span', { id: 'scan-status' });
    const bar = el('progress', { id: 'scan-progress', max: 1, value: 0 });
    const counts = el('span', { id: 'scan-counts', className: 'muted' });
    const summary = el('dl', { className: 'facts', id: 'scan-summary' });
    const findings = el('div', { id: 'findings' });
    const show = (s) => {
      status.textContent = statusText(s);
      status.className = s.gate ? 'gate-' + s.gate : '';
      status.dataset.status = s.status;
      clear(summary);
      append(summary, [
        el('dt', {}, 'Target'), el('dd', {}, targets.get(s.target_id) || s.target_id),
        el('dt', {}, 'Probe sets'), el('dd', {}, s.probes.join(', ')),
        el('dt', {}, 'Converters'), el('dd', {}, (s.converters || []).join(', ') || 'none'),
        el('dt', {}, 'Findings'), el('dd', {}, String(s.summary.findings)),
        el('dt', {}, 'Attack success rate'), el('dd', {}, percent(s.summary.attack_success_rate)),
        el('dt', {}, 'Gate'), el('dd', {}, s.fail_on ? (s.gate || 'pending') : 'none'),
        s.error ? [el('dt', {}, 'Error'), el('dd', { className: 'error' }, s.error)] : null,
      ]);
      progress({ done: s.progress.done, total: s.progress.total, errors: s.progress.errors, findings: s.summary.findings });
    };
    const progress = (p) => {
      bar.max = Math.max(p.total, 1);
      bar.value = p.done;
      counts.textContent = p.done + ' of ' + p.total + ' prompts, ' + p.errors + ' errors, ' + p.findings + ' findings';
    };
    const reports = el('div', { className: 'row', id: 'reports' },
      [['json', 'json'], ['csv', 'csv'], ['markdown', 'md'], ['html', 'html'], ['junit', 'xml'], ['sarif', 'sarif']].map(
        ([format, ext]) => {
          const b = el('button', { type: 'button', className: 'plain', dataset: { format } }, format);
          b.addEventListener('click', () => download(id, format, ext).catch(failed));
          return b;
        }));
    const cancel = el('button', { type: 'button', className: 'plain', id: 'scan-cancel' }, 'Cancel scan');
    cancel.addEventListener('click', async () => {
      try {
        show(await send('POST', '/scans/' + id + '/cancel'));
      } catch (e) {
        failed(e);
      }
    });
    append(view(), [
      el('section', {}, el('h2', {}, 'Scan ', el('span', { className: 'muted' }, id)),
        el('p', {}, 'Status: ', status), bar, el('p', {}, counts), summary,
        el('div', { className: 'row' }, cancel,
          el('a', { href: '#/scans/' + id + '/diff', id: 'diff-link' }, 'Compare with a baseline'))),
      el('section', {}, el('h2', {}, 'Reports'), reports),
      el('section', {}, el('h2', {}, 'Findings'), findings),
    ]);
    show(scan);
    append(findings, el('p', { className: 'muted' }, 'The findings are listed when the scan has ended.'));
    const finish = async (s) => {
      show(s);
      cancel.hidden = true;
      await showFindings(id, findings, 1);
    };
    // An ended scan's stream too: it answers at once with the last progress and the end.
    const stop = new AbortController();
    leave = () => stop.abort();
    follow(id, progress, stop.signal).then(async (last) => {
      if (!stop.signal.aborted) await finish(last || await get('/scans/' + id));
    }).catch((e) => {
      if (!stop.signal.aborted) failed(e);
    });
  }

  // Ids are time-ordered UUIDs: scans made close together share their first digits, so a
  // short form is the last ones (random).
  function short(id) {
    return id.slice(-8);
  }

  function percent(rate) {
    return (Math.round(rate * 1000) / 10) + ' %';
  }

  // Follows GET /scans/{id}/events until its `end` event, calling onProgress with each
  // `progress`; resolves with the ended scan. EventSource cannot send an Authorization header,
  // so the stream is read from fetch() (the token stays out of the URL). When the stream cannot
  // be had (refused at MAX_EVENT_STREAMS, or cut off) the scan is polled instead.
  async function follow(id, onProgress, signal) {
    try {
      const res = await request('GET', '/scans/' + id + '/events', { accept: 'text/event-stream', signal });
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const event = parseEvent(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          if (event.name === 'progress') onProgress(JSON.parse(event.data));
          if (event.name === 'end') return JSON.parse(event.data);
        }
      }
    } catch (e) {
      if (signal.aborted || (e instanceof api_error && e.status === 401)) throw e;
    }
    return poll(id, onProgress, signal);
  }

  function parseEvent(block) {
    const event = { name: 'message', data: '' };
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;  // a keep-alive comment
      const colon = line.indexOf(':');
      const key = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (key === 'event') event.name = value;
      if (key === 'data') data.push(value);
    }
    event.data = data.join('\n');
    return event;
  }

  // The fallback: GET /scans/{id} once a second until the scan has ended.
  async function poll(id, onProgress, signal) {
    for (;;) {
      if (signal.aborted) throw new Error('left');
      const s = await get('/scans/' + id);
      onProgress({ done: s.progress.done, total: s.progress.total, errors: s.progress.errors, findings: s.summary.findings });
      if (['completed', 'failed', 'cancelled'].includes(s.status)) return s;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  // Fetched with the credential, handed to the browser as a Blob's object URL.
  async function download(id, format, ext) {
    const res = await request('GET', '/scans/' + id + '/report' + query({ format }), { accept: '*/*' });
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: 'scan-' + id + '.' + ext, hidden: true });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  const triageStatuses = ['open', 'accepted', 'false_positive', 'fixed'];

  async function showFindings(id, into, pageNumber) {
    const page = await get('/scans/' + id + '/findings' + query({ page: pageNumber, per_page: 50 }));
    clear(into);
    if (!page.items.length) {
      append(into, el('p', { className: 'muted', id: 'no-findings' }, 'No findings.'));
      return;
    }
    const rows = page.items.map((f) => {
      const status = el('select', { className: 'triage-status' },
        triageStatuses.map((s) => el('option', { value: s, selected: s === f.status }, s)));
      const note = el('input', { type: 'text', className: 'triage-note', maxLength: 2000, value: f.note || '' });
      const save = el('button', { type: 'button', className: 'triage-save plain' }, 'Save');
      const saved = el('span', { className: 'triage-result muted' });
      save.addEventListener('click', async () => {
        save.disabled = true;
        try {
          const body = { status: status.value, note: note.value === '' ? null : note.value };
          const changed = await send('PATCH', '/scans/' + id + '/findings/' + encodeURIComponent(f.id), body);
          saved.textContent = 'saved: ' + changed.status;
          saved.className = 'triage-result ok';
        } catch (e) {
          saved.textContent = e instanceof api_error ? e.describe() : String(e);
          saved.className = 'triage-result error';
        } finally {
          save.disabled = false;
        }
      });
      return el('tr', { dataset: { finding: f.id } },
        el('td', {}, String(f.seq)),
        el('td', {}, f.probe),
        el('td', { className: 'sev-' + f.severity }, f.severity || ''),
        el('td', {}, f.converter || ''),
        el('td', { className: 'text' }, clip(f.sent_prompt)),
        el('td', { className: 'text' }, clip(f.response || '')),
        el('td', {}, el('div', { className: 'row' }, status, note, save, saved)));
    });
    append(into, el('table', { id: 'findings-table' },
      el('thead', {}, el('tr', {}, ['#', 'Probe set', 'Severity', 'Converter', 'Prompt sent', 'Response', 'Triage'].map((h) => el('th', {}, h)))),
      el('tbody', {}, rows)));
    if (page.pages > 1) {
      const nav = el('div', { className: 'row' }, el('span', { className: 'muted' }, 'Page ' + page.page + ' of ' + page.pages));
      for (const [label, to] of [['Previous', page.page - 1], ['Next', page.page + 1]]) {
        if (to < 1 || to > page.pages) continue;
        const b = el('button', { type: 'button', className: 'plain' }, label);
        b.addEventListener('click', () => showFindings(id, into, to).catch(failed));
        nav.appendChild(b);
      }
      into.appendChild(nav);
    }
  }

  function clip(text) {
    return text.length > 400 ? text.slice(0, 400) + '…' : text;
  }

  // ---- diff ----
  async function diffView(id) {
    const scan = await get('/scans/' + id);
    const others = await get('/scans' + query({ target_id: scan.target_id, status: 'completed', per_page: 100 }));
    const baseline = el('select', { id: 'diff-baseline' },
      el('option', { value: '' }, 'Implicit: the previous completed scan'),
      others.items.filter((s) => s.id !== id).map((s) => el('option', { value: s.id }, s.created_at + ' — ' + short(s.id))));
    const out = el('div', { id: 'diff-view' });
    const show = async () => {
      clear(out);
      try {
        const d = await get('/scans/' + id + '/diff' + query({ baseline: baseline.value }));
        const rate = d.attack_success_rate;
        append(out, [
          el('p', { id: 'diff-summary' }, 'Baseline ', el('a', { href: '#/scans/' + d.baseline }, d.baseline),
            ': ' + d.new.length + ' new, ' + d.fixed.length + ' fixed, ' + d.persisting.length + ' persisting. Attack success rate ' +
            percent(rate.baseline) + ' → ' + percent(rate.current) + ' (' + (rate.delta >= 0 ? '+' : '') + percent(rate.delta) + ').'),
          el('div', { className: 'columns' },
            diffList('New', 'diff-new', d.new), diffList('Fixed', 'diff-fixed', d.fixed), diffList('Persisting', 'diff-persisting', d.persisting)),
        ]);
      } catch (e) {
        if (!(e instanceof api_error)) throw e;
        append(out, el('p', { className: 'error', id: 'diff-error' }, e.describe()));
      }
    };
    baseline.addEventListener('change', show);
    append(view(), el('section', {},
      el('h2', {}, 'Diff of scan ', el('a', { href: '#/scans/' + id }, id)),
      field('Baseline', baseline), out));
    await show();
  }

  function diffList(title, listId, findings) {
    return el('div', {}, el('h3', {}, title + ' (' + findings.length + ')'),
      el('ul', { id: listId }, findings.map((f) => el('li', { className: 'text' },
        el('strong', { className: 'sev-' + f.severity }, f.severity || ''), ' ', f.probe,
        f.converter ? ' [' + f.converter + ']' : '', ': ', clip(f.prompt)))));
  }

  // ---- start ----
  document.getElementById('signout').addEventListener('click', async () => {
    const c = credential();
    if (c && c.kind === 'bearer') {
      // Ends the session on the server too; the page forgets the token whatever happens.
      try {
        await request('POST', '/auth/logout');
      } catch (e) {
        // already ended
      }
    }
    signedOut();
  });
  window.addEventListener('hashchange', route);
  if (credential()) {
    get('/users/me').then((me) => { document.getElementById('who').textContent = me.username; }, () => {});
  }
  route();
})();
