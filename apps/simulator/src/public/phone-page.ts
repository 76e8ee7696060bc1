/**
 * The citizen-phone page served at GET /. One HTML document with vanilla JS and no build step,
 * kept as a TS string so `tsc` ships it to dist/ (it copies no other files). It talks only to the
 * control API (/_sim). The embedded script avoids backticks and "${" so this literal stays plain.
 * Every text from messages is set with textContent, never as HTML.
 */
export const PHONE_PAGE_HTML = String.raw`<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Telefono del cittadino · simulatore WhatsApp</title>
<style>
  :root { --green: #d9fdd3; --bg: #efeae2; --head: #008069; --tick: #53bdeb; }
  * { box-sizing: border-box; }
  body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #d1d7db; display: flex; justify-content: center; }
  .phone { width: 100%; max-width: 460px; height: 100vh; display: flex; flex-direction: column; background: var(--bg); box-shadow: 0 0 24px rgba(0,0,0,.2); }
  header { background: var(--head); color: #fff; padding: 10px 12px; }
  header h1 { font-size: 16px; margin: 0 0 6px; }
  header label { font-size: 12px; display: block; margin-top: 4px; opacity: .9; }
  header select, header input { width: 100%; padding: 6px; border-radius: 6px; border: none; font-size: 14px; }
  .row { display: flex; gap: 6px; }
  .row > * { flex: 1; }
  #window { font-size: 12px; margin-top: 6px; opacity: .95; }
  #citizens { display: flex; gap: 4px; flex-wrap: wrap; margin-top: 6px; }
  #citizens button { font-size: 11px; border: none; border-radius: 10px; padding: 2px 8px; background: rgba(255,255,255,.25); color: #fff; cursor: pointer; }
  #chat { flex: 1; overflow-y: auto; padding: 10px 12px; display: flex; flex-direction: column; gap: 6px; }
  .bubble { max-width: 82%; padding: 6px 8px 4px; border-radius: 8px; box-shadow: 0 1px 1px rgba(0,0,0,.12); font-size: 14px; white-space: pre-wrap; word-wrap: break-word; }
  .in { align-self: flex-start; background: #fff; }
  .out { align-self: flex-end; background: var(--green); }
  .meta { font-size: 11px; color: #667781; text-align: right; margin-top: 2px; }
  .tick-read { color: var(--tick); }
  .failed { color: #c0392b; font-size: 12px; }
  .bubble img { max-width: 100%; border-radius: 6px; display: block; }
  .choices { display: flex; flex-direction: column; gap: 4px; margin-top: 6px; }
  .choices button { border: none; border-top: 1px solid #e9edef; background: transparent; color: #027eb5; padding: 6px; cursor: pointer; font-size: 14px; }
  .choices button:hover { background: #f5f6f6; }
  .rowdesc { display: block; font-size: 12px; color: #667781; }
  .header-text { font-weight: 600; margin-bottom: 4px; }
  .footer-text { font-size: 12px; color: #667781; margin-top: 4px; }
  .note { align-self: center; font-size: 12px; background: #fff3c4; border-radius: 6px; padding: 3px 8px; }
  footer { background: #f0f2f5; padding: 8px; display: flex; flex-direction: column; gap: 6px; }
  footer input[type=text], footer input[type=number] { padding: 8px; border-radius: 18px; border: 1px solid #ccc; font-size: 14px; min-width: 0; }
  footer button { border: none; border-radius: 18px; background: var(--head); color: #fff; padding: 8px 12px; cursor: pointer; font-size: 14px; }
  footer .small { font-size: 12px; }
  #error { color: #c0392b; font-size: 12px; min-height: 14px; }
  details summary { cursor: pointer; font-size: 13px; color: #54656f; }
</style>
</head>
<body>
<div class="phone">
  <header>
    <h1>📱 Telefono del cittadino</h1>
    <label for="number">Numero del Comune</label>
    <select id="number"><option value="">Caricamento…</option></select>
    <div class="row">
      <div><label for="citizen">Il tuo numero</label><input id="citizen" placeholder="393331234567" inputmode="tel"></div>
      <div><label for="profile">Il tuo nome</label><input id="profile" value="Mario Rossi"></div>
    </div>
    <div id="citizens"></div>
    <div id="window"></div>
  </header>
  <main id="chat" aria-live="polite"></main>
  <footer>
    <div id="error" role="alert"></div>
    <form id="text-form" class="row">
      <input type="text" id="text" placeholder="Scrivi un messaggio" autocomplete="off" style="flex:4">
      <button type="submit">Invia</button>
    </form>
    <details>
      <summary>📎 Foto o posizione</summary>
      <div class="row" style="margin-top:6px">
        <input type="file" id="photo" accept="image/*" class="small" style="flex:3">
        <button type="button" id="send-photo" class="small">Invia foto</button>
      </div>
      <div class="row" style="margin-top:6px">
        <input type="number" id="lat" step="any" placeholder="Latitudine" value="43.31882">
        <input type="number" id="lng" step="any" placeholder="Longitudine" value="11.33079">
      </div>
      <div class="row" style="margin-top:6px">
        <input type="text" id="place" placeholder="Nome del luogo (facoltativo)" style="flex:3">
        <button type="button" id="send-location" class="small">Invia posizione</button>
      </div>
    </details>
  </footer>
</div>
<script>
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var state = { numbers: [], templates: {}, lastRender: '' };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'onclick') node.addEventListener('click', attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function showError(message) { $('error').textContent = message || ''; }

  function api(method, path, body) {
    return fetch(path, {
      method: method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (res) {
      return res.json().then(function (data) {
        if (!res.ok) throw new Error(data && data.message ? data.message : 'Errore ' + res.status);
        return data;
      });
    });
  }

  function currentNumber() { return state.numbers.find(function (n) { return n.phoneNumberId === $('number').value; }); }
  function citizen() { return $('citizen').value.replace(/[^0-9]/g, ''); }

  function loadNumbers() {
    return api('GET', '/_sim/numbers').then(function (numbers) {
      state.numbers = numbers;
      var select = $('number');
      var previous = select.value || localStorage.getItem('sim.number') || '';
      select.textContent = '';
      if (numbers.length === 0) select.appendChild(el('option', { value: '', text: 'Nessun numero registrato (POST /_sim/numbers)' }));
      numbers.forEach(function (n) {
        select.appendChild(el('option', { value: n.phoneNumberId, text: n.displayPhoneNumber + ' · ' + n.phoneNumberId }));
      });
      if (numbers.some(function (n) { return n.phoneNumberId === previous; })) select.value = previous;
      return loadTemplates();
    }).catch(function (e) { showError(e.message); });
  }

  function loadTemplates() {
    var n = currentNumber();
    if (!n) return Promise.resolve();
    return api('GET', '/_sim/templates?wabaId=' + encodeURIComponent(n.wabaId)).then(function (list) {
      state.templates = {};
      list.forEach(function (t) { state.templates[t.name + '|' + t.language] = t; });
    });
  }

  function send(message) {
    var n = currentNumber();
    if (!n) return showError('Scegli il numero del Comune.');
    if (citizen().length < 6) return showError('Scrivi il tuo numero di telefono (solo cifre, con prefisso 39).');
    showError('');
    return api('POST', '/_sim/inbound', {
      phoneNumberId: n.phoneNumberId, from: citizen(), profileName: $('profile').value || 'Cittadino', message: message
    }).then(function (r) {
      if (r.webhookStatus !== 200) showError('Il webhook della piattaforma ha risposto ' + (r.webhookStatus === null ? 'con un errore: ' + r.error : 'HTTP ' + r.webhookStatus) + ' (ritenterà).');
      return refresh(true);
    }).catch(function (e) { showError(e.message); });
  }

  function time(iso) { var d = new Date(iso); return d.toLocaleTimeString('it-IT', { hour: '2-digit', minute: '2-digit' }); }

  function ticks(entry) {
    if (entry.direction === 'inbound') {
      if (entry.readAt) return el('span', { class: 'tick-read', text: ' ✓✓' });
      if (entry.webhookStatus === 200) return el('span', { text: ' ✓✓' });
      return el('span', { text: entry.webhookStatus === null ? ' ⏳' : ' ⚠' });
    }
    switch (entry.status) {
      case 'read': return el('span', { class: 'tick-read', text: ' ✓✓', title: 'letto' });
      case 'delivered': return el('span', { text: ' ✓✓', title: 'consegnato' });
      case 'sent': return el('span', { text: ' ✓', title: 'inviato' });
      case 'failed': return el('span', { text: ' ⚠', title: 'non consegnato' });
      default: return el('span', { text: ' 🕓', title: 'accettato' });
    }
  }

  function mediaNode(kind, media) {
    if (!media) return null;
    // Media sent by id (uploaded by the comune) are served by the simulator; by link, from where they are.
    var src = media.id ? '/_sim/media/' + encodeURIComponent(media.id) : media.link;
    if (kind === 'image' || kind === 'sticker') {
      var img = el('img', { src: src, alt: media.caption || 'immagine' });
      img.addEventListener('error', function () {
        img.replaceWith(el('div', { class: 'footer-text', text: '🖼 immagine non più disponibile' }));
      });
      return img;
    }
    if (kind === 'document') {
      return el('a', { href: src, target: '_blank', rel: 'noopener', title: media.id ? 'media id ' + media.id : media.link, text: '📄 ' + (media.filename || 'documento') });
    }
    if (kind === 'video') return el('a', { href: src, target: '_blank', text: '🎬 video' });
    if (kind === 'audio') return el('a', { href: src, target: '_blank', text: '🎤 audio' });
    return null;
  }

  function fillTemplate(text, params) {
    return text.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, function (whole, name) {
      var byName = params.find(function (p) { return p.parameter_name === name; });
      var byIndex = /^[0-9]+$/.test(name) ? params[Number(name) - 1] : undefined;
      var p = byName || byIndex;
      return p && p.text !== undefined ? p.text : whole;
    });
  }

  function outboundContent(entry) {
    var body = entry.body || {};
    var nodes = [];
    var type = entry.type;
    var content = body[type] || {};
    if (type === 'text') nodes.push(document.createTextNode(content.body || ''));
    else if (['image', 'video', 'audio', 'document', 'sticker'].indexOf(type) >= 0) {
      nodes.push(mediaNode(type, content));
      if (content.caption) nodes.push(el('div', { text: content.caption }));
    } else if (type === 'location') {
      nodes.push(el('a', { href: 'https://www.openstreetmap.org/?mlat=' + content.latitude + '&mlon=' + content.longitude, target: '_blank',
        text: '📍 ' + (content.name || 'Posizione') + (content.address ? ' — ' + content.address : '') }));
    } else if (type === 'reaction') nodes.push(el('div', { text: 'Reazione ' + (content.emoji || '(rimossa)') }));
    else if (type === 'contacts') nodes.push(el('div', { text: '👤 ' + (body.contacts || []).map(function (c) { return c.name && c.name.formatted_name; }).join(', ') }));
    else if (type === 'interactive') nodes = nodes.concat(interactiveNodes(entry, content));
    else if (type === 'template') nodes = nodes.concat(templateNodes(entry, content));
    return nodes;
  }

  function interactiveNodes(entry, it) {
    var nodes = [];
    if (it.header && it.header.type === 'text') nodes.push(el('div', { class: 'header-text', text: it.header.text }));
    if (it.header && it.header.type !== 'text') nodes.push(mediaNode(it.header.type, it.header[it.header.type]));
    nodes.push(el('div', { text: (it.body && it.body.text) || '' }));
    if (it.footer) nodes.push(el('div', { class: 'footer-text', text: it.footer.text }));
    var choices = el('div', { class: 'choices' });
    var action = it.action || {};
    if (it.type === 'button') {
      (action.buttons || []).forEach(function (b) {
        choices.appendChild(el('button', { type: 'button', text: b.reply.title, onclick: function () {
          send({ type: 'interactive_reply', kind: 'button_reply', id: b.reply.id, title: b.reply.title, contextMessageId: entry.wamid });
        } }));
      });
    } else if (it.type === 'list') {
      var rows = el('div', { class: 'choices', hidden: 'hidden' });
      choices.appendChild(el('button', { type: 'button', text: '☰ ' + action.button, onclick: function () { rows.hidden = !rows.hidden; } }));
      (action.sections || []).forEach(function (s) {
        if (s.title) rows.appendChild(el('div', { class: 'footer-text', text: s.title }));
        (s.rows || []).forEach(function (r) {
          var b = el('button', { type: 'button', onclick: function () {
            send({ type: 'interactive_reply', kind: 'list_reply', id: r.id, title: r.title, description: r.description, contextMessageId: entry.wamid });
          } }, [document.createTextNode(r.title), r.description ? el('span', { class: 'rowdesc', text: r.description }) : null]);
          rows.appendChild(b);
        });
      });
      choices.appendChild(rows);
    } else if (it.type === 'cta_url' && action.parameters) {
      choices.appendChild(el('a', { href: action.parameters.url, target: '_blank', text: '🔗 ' + action.parameters.display_text }));
    }
    nodes.push(choices);
    return nodes;
  }

  function templateNodes(entry, tpl) {
    var nodes = [];
    var def = state.templates[tpl.name + '|' + (tpl.language && tpl.language.code)];
    var components = tpl.components || [];
    var paramsOf = function (type) {
      var c = components.find(function (x) { return String(x.type).toLowerCase() === type; });
      return (c && c.parameters) || [];
    };
    if (!def) {
      nodes.push(el('div', { text: '[modello ' + tpl.name + ']' }));
      return nodes;
    }
    def.components.forEach(function (c) {
      if (c.type === 'HEADER' && c.format === 'TEXT') nodes.push(el('div', { class: 'header-text', text: fillTemplate(c.text, paramsOf('header')) }));
      if (c.type === 'HEADER' && c.format !== 'TEXT') {
        var p = paramsOf('header')[0];
        nodes.push(p ? mediaNode(c.format.toLowerCase(), p[p.type]) : el('div', { text: '[' + c.format + ']' }));
      }
      if (c.type === 'BODY') nodes.push(el('div', { text: fillTemplate(c.text, paramsOf('body')) }));
      if (c.type === 'FOOTER') nodes.push(el('div', { class: 'footer-text', text: c.text }));
      if (c.type === 'BUTTONS') {
        var choices = el('div', { class: 'choices' });
        c.buttons.forEach(function (b, index) {
          if (b.type === 'QUICK_REPLY') {
            var param = components.find(function (x) { return String(x.type).toLowerCase() === 'button' && Number(x.index) === index; });
            var payload = param && param.parameters && param.parameters[0] && param.parameters[0].payload;
            choices.appendChild(el('button', { type: 'button', text: b.text, onclick: function () {
              send({ type: 'button', payload: payload || b.text, text: b.text, contextMessageId: entry.wamid });
            } }));
          } else if (b.type === 'URL') choices.appendChild(el('a', { href: b.url, target: '_blank', text: '🔗 ' + b.text }));
          else choices.appendChild(el('div', { class: 'footer-text', text: '📞 ' + b.text }));
        });
        nodes.push(choices);
      }
    });
    return nodes;
  }

  function inboundContent(entry) {
    var m = entry.message || {};
    var c = m[m.type] || {};
    switch (m.type) {
      case 'text': return [document.createTextNode(c.body || '')];
      case 'image': case 'video': case 'audio': case 'document': case 'sticker':
        return [mediaNode(m.type, c), c.caption ? el('div', { text: c.caption }) : null];
      case 'location': return [el('div', { text: '📍 ' + (c.name || '') + ' ' + c.latitude + ', ' + c.longitude })];
      case 'interactive': var r = c.button_reply || c.list_reply || {}; return [el('div', { text: '↩ ' + r.title })];
      case 'button': return [el('div', { text: '↩ ' + c.text })];
      case 'reaction': return [el('div', { text: 'Reazione ' + (c.emoji || '(rimossa)') })];
      default: return [el('div', { text: '[' + m.type + ']' })];
    }
  }

  function render(conversation) {
    var chat = $('chat');
    var atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
    chat.textContent = '';
    if (conversation.messages.length === 0) chat.appendChild(el('div', { class: 'note', text: 'Nessun messaggio. Scrivi ATTIVA per iscriverti.' }));
    conversation.messages.forEach(function (entry) {
      var inbound = entry.direction === 'inbound';
      var bubble = el('div', { class: 'bubble ' + (inbound ? 'out' : 'in') }, inbound ? inboundContent(entry) : outboundContent(entry));
      if (!inbound && entry.status === 'failed') {
        (entry.errors || []).forEach(function (e) { bubble.appendChild(el('div', { class: 'failed', text: 'Non consegnato: ' + e.code + ' ' + e.title })); });
      }
      bubble.appendChild(el('div', { class: 'meta' }, [document.createTextNode(time(inbound ? entry.receivedAt : entry.acceptedAt)), ticks(entry)]));
      chat.appendChild(bubble);
    });
    var until = conversation.windowOpenUntil;
    $('window').textContent = until && new Date(until) > new Date()
      ? 'Finestra di 24 ore aperta fino alle ' + time(until) + ' del ' + new Date(until).toLocaleDateString('it-IT')
      : 'Finestra di 24 ore chiusa: il Comune può scriverti solo con un modello approvato.';
    if (atBottom) chat.scrollTop = chat.scrollHeight;
  }

  function renderCitizens(list) {
    var box = $('citizens');
    box.textContent = '';
    list.slice(0, 8).forEach(function (c) {
      box.appendChild(el('button', { type: 'button', text: (c.profileName || '') + ' ' + c.waId, onclick: function () {
        $('citizen').value = c.waId;
        if (c.profileName) $('profile').value = c.profileName;
        refresh(true);
      } }));
    });
  }

  function refresh(force) {
    var n = currentNumber();
    if (!n) return Promise.resolve();
    var list = api('GET', '/_sim/conversations?phoneNumberId=' + encodeURIComponent(n.phoneNumberId)).then(renderCitizens);
    if (citizen().length < 6) { $('chat').textContent = ''; $('window').textContent = ''; return list; }
    return api('GET', '/_sim/conversations?phoneNumberId=' + encodeURIComponent(n.phoneNumberId) + '&waId=' + citizen()).then(function (conversation) {
      var key = JSON.stringify(conversation);
      if (force || key !== state.lastRender) { state.lastRender = key; render(conversation); }
      var needTemplates = conversation.messages.some(function (m) {
        return m.type === 'template' && m.body && m.body.template && !state.templates[m.body.template.name + '|' + (m.body.template.language || {}).code];
      });
      if (needTemplates) return loadTemplates().then(function () { render(conversation); });
    }).catch(function (e) { showError(e.message); });
  }

  $('text-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = $('text').value.trim();
    if (!text) return;
    send({ type: 'text', text: text }).then(function () { $('text').value = ''; });
  });

  $('send-photo').addEventListener('click', function () {
    var file = $('photo').files[0];
    if (!file) return showError('Scegli una foto.');
    var reader = new FileReader();
    reader.onload = function () {
      var base64 = String(reader.result).split(',')[1];
      var caption = $('text').value.trim();
      send({ type: 'image', base64: base64, mimeType: file.type || 'image/jpeg', caption: caption || undefined }).then(function () {
        $('photo').value = ''; $('text').value = '';
      });
    };
    reader.readAsDataURL(file);
  });

  $('send-location').addEventListener('click', function () {
    var lat = parseFloat($('lat').value), lng = parseFloat($('lng').value);
    if (isNaN(lat) || isNaN(lng)) return showError('Latitudine e longitudine devono essere numeri.');
    send({ type: 'location', latitude: lat, longitude: lng, name: $('place').value.trim() || undefined });
  });

  $('number').addEventListener('change', function () { localStorage.setItem('sim.number', $('number').value); loadTemplates().then(function () { refresh(true); }); });
  $('citizen').addEventListener('change', function () { localStorage.setItem('sim.citizen', citizen()); refresh(true); });
  $('citizen').value = localStorage.getItem('sim.citizen') || '';

  loadNumbers().then(function () { refresh(true); });
  setInterval(function () { refresh(false); }, 1000);
  setInterval(loadNumbers, 10000);
})();
</script>
</body>
</html>
`;
