/**
 * The pages' shell: one HTML document with the navigation, a local stylesheet and no script from
 * anywhere else. Pages are built with hono/html's tagged templates, which escape every value put
 * into them; `raw` is used only for the server-rendered chart SVG.
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export const STYLESHEET_PATH = '/assets/pages.css';

export function page(title: string, body: Html, options: { nav?: boolean; csrf?: string; active?: string } = {}): Html {
  const link = (href: string, label: string) => html`<a href="${href}" class="${options.active === href ? 'active' : ''}">${label}</a>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · CS lifecycle</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
        <link rel="icon" href="data:," />
      </head>
      <body>
        ${
          options.nav === false
            ? ''
            : html`<header class="top">
                <strong>CS lifecycle</strong>
                <nav>${link('/', 'Portfolio')} ${link('/tasks', 'My tasks')}</nav>
                <form method="post" action="/sign-out" class="inline">
                  <input type="hidden" name="csrf" value="${options.csrf ?? ''}" /><button type="submit" class="link">Sign out</button>
                </form>
              </header>`
        }
        <main>${body}</main>
      </body>
    </html>`;
}

export const svg = (markup: string) => raw(markup);

const BAND_CLASS = new Set(['green', 'yellow', 'red']);
/** A band as a coloured label; a band this page does not know (e.g. a newer rule's) shows neutrally. */
export function bandBadge(band: string | null | undefined): Html {
  const name = band ?? 'unknown';
  return html`<span class="band band-${BAND_CLASS.has(name) ? name : 'other'}">${name.replace(/_/g, ' ')}</span>`;
}

export const day = (iso: string | Date | null | undefined) => (iso ? (typeof iso === 'string' ? iso : iso.toISOString()).slice(0, 10) : '—');

export const STYLESHEET = `
:root { --green:#2e9d5b; --yellow:#d9a400; --red:#d64545; --other:#8a8f98; --ink:#1d2330; --muted:#5d6472; --line:#e3e6eb; --bg:#f6f7f9; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color:var(--ink); background:var(--bg); }
header.top { display:flex; gap:24px; align-items:center; padding:10px 24px; background:#1d2330; color:#fff; }
header.top nav a { color:#cfd5df; margin-right:16px; text-decoration:none; }
header.top nav a.active, header.top nav a:hover { color:#fff; }
header.top form { margin-left:auto; }
button.link { background:none; border:0; color:#cfd5df; cursor:pointer; font:inherit; }
main { padding:20px 24px; max-width:1400px; margin:0 auto; }
h1 { font-size:22px; margin:4px 0 12px; } h2 { font-size:16px; margin:0 0 8px; }
.muted { color:var(--muted); } .small { font-size:12px; }
.grid { display:grid; gap:16px; grid-template-columns:repeat(auto-fit, minmax(420px, 1fr)); }
.tiles { display:grid; gap:12px; grid-template-columns:repeat(auto-fit, minmax(170px, 1fr)); margin-bottom:16px; }
.tile, .card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.tile .value { font-size:24px; font-weight:600; } .tile .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
table { border-collapse:collapse; width:100%; } th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; color:var(--muted); font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.band { display:inline-block; padding:1px 8px; border-radius:10px; color:#fff; font-size:12px; }
.band-green { background:var(--green); } .band-yellow { background:var(--yellow); } .band-red { background:var(--red); } .band-other { background:var(--other); }
.filters { display:flex; gap:10px; flex-wrap:wrap; align-items:end; margin-bottom:16px; }
.filters label { display:flex; flex-direction:column; font-size:12px; color:var(--muted); }
select, input[type=text], input[type=password] { font:inherit; padding:5px 8px; border:1px solid #c6cbd3; border-radius:6px; background:#fff; }
button, .button { font:inherit; padding:5px 12px; border-radius:6px; border:1px solid #2d5bd3; background:#2d5bd3; color:#fff; cursor:pointer; text-decoration:none; }
button.secondary { background:#fff; color:#2d5bd3; }
ul.reasons { margin:0; padding-left:18px; }
.met { color:var(--green); font-weight:700; } .open { color:var(--muted); }
.checklist { list-style:none; padding:0; margin:0; } .checklist li { padding:2px 0; }
.overdue { color:var(--red); font-weight:600; }
.inline { display:inline; }
.pager { margin-top:8px; display:flex; gap:12px; }
.signin { max-width:420px; margin:80px auto; }
.signin form { display:flex; flex-direction:column; gap:10px; }
.error { color:var(--red); }
.chart svg { max-width:100%; height:auto; }
.portal { max-width:860px; }
`;
