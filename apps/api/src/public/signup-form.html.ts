/** The embeddable sign-up form (an iframe on the comune's site), in Italian; posts to the public API. */
export interface FormView {
  slug: string;
  displayName: string;
  privacyPolicyUrl: string | null;
  requiredFields: string[];
  frazioni: string[];
  lists: { slug: string; name: string; description: string | null; isDefault: boolean }[];
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderSignupForm(v: FormView): string {
  const req = (f: string): string => (v.requiredFields.includes(f) ? ' required' : '');
  const lists = v.lists
    .map(
      (l) =>
        `<label class="list"><input type="checkbox" name="lists" value="${esc(l.slug)}"${l.isDefault ? ' checked' : ''}> <b>${esc(l.name)}</b>${l.description ? ` – ${esc(l.description)}` : ''}</label>`,
    )
    .join('\n');
  const frazioni =
    v.frazioni.length > 0
      ? `<label>Frazione<select name="frazione"${req('frazione')}><option value="">—</option>${v.frazioni.map((f) => `<option>${esc(f)}</option>`).join('')}</select></label>`
      : '';
  const policy = v.privacyPolicyUrl
    ? `<a href="${esc(v.privacyPolicyUrl)}" target="_blank" rel="noopener">informativa privacy</a>`
    : 'informativa privacy';
  return `<!doctype html>
<html lang="it"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Iscriviti al canale WhatsApp · ${esc(v.displayName)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:32rem;margin:1rem auto;padding:0 1rem;color:#1b1b1b}
label{display:block;margin:.6rem 0}input[type=text],input[type=tel],select{display:block;width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
.list{font-weight:normal}.hp{position:absolute;left:-10000px}button{background:#1f7a3d;color:#fff;border:0;padding:.7rem 1.2rem;font-size:1rem;border-radius:.3rem}
#esito{margin-top:1rem;font-weight:bold}
</style></head><body>
<h1>Canale WhatsApp del ${esc(v.displayName)}</h1>
<p>Lascia il tuo numero: riceverai su WhatsApp un messaggio per confermare l’iscrizione.</p>
<form id="f">
<label>Nome<input type="text" name="firstName" autocomplete="given-name"${req('first_name')}></label>
<label>Cognome<input type="text" name="lastName" autocomplete="family-name"${req('last_name')}></label>
<label>Numero WhatsApp<input type="tel" name="phone" autocomplete="tel" required placeholder="338 1234567"></label>
${frazioni}
<fieldset><legend>Liste</legend>${lists}</fieldset>
<label class="hp" aria-hidden="true">Sito web<input type="text" name="website" tabindex="-1" autocomplete="off"></label>
<label><input type="checkbox" name="consent" required> Ho letto l’${policy} e accetto di ricevere messaggi WhatsApp dal Comune.</label>
<button type="submit">Iscrivimi</button>
<p id="esito" role="status"></p>
</form>
<script>
const f = document.getElementById('f'), out = document.getElementById('esito');
f.addEventListener('submit', async (e) => {
  e.preventDefault();
  const d = new FormData(f);
  const body = { phone: d.get('phone'), consent: d.get('consent') === 'on', lists: d.getAll('lists') };
  for (const k of ['firstName', 'lastName', 'frazione', 'website']) if (d.get(k)) body[k] = d.get(k);
  out.textContent = 'Invio…';
  try {
    const r = await fetch(${JSON.stringify(`/public/v1/tenants/${v.slug}/subscriptions`)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const j = await r.json();
    out.textContent = r.ok ? j.message : 'Non è stato possibile completare la richiesta: ' + (j.message || r.status);
  } catch { out.textContent = 'Connessione non riuscita: riprova.'; }
});
</script>
</body></html>`;
}
