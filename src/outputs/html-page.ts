// The frame of the HTML report: escaping, the styles, the page script and the CSP that lets only that
// script and uPlot run (by hash). Sections are in html.ts. Nothing here keeps state between reports.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** Text or attribute value: `& < > " '` escaped; NUL and other C0 controls but tab/newline replaced. */
export function esc(value: unknown): string {
  const s = value == null ? "" : String(value);
  let out = "";
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string;
    if (c === 0x26) rep = "&amp;";
    else if (c === 0x3c) rep = "&lt;";
    else if (c === 0x3e) rep = "&gt;";
    else if (c === 0x22) rep = "&quot;";
    else if (c === 0x27) rep = "&#39;";
    else if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) rep = "\ufffd";
    else continue;
    out += s.slice(from, i) + rep;
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** JSON that can sit inside a `<script type="application/json">` block whatever the strings hold. */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

/** A link only for https URLs (references come from check metadata); anything else is text. */
export function link(url: string): string {
  return /^https:\/\/[^\s"'<>]+$/.test(url)
    ? `<a href="${esc(url)}" rel="noreferrer noopener">${esc(url)}</a>`
    : esc(url);
}

function sha256Csp(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/** uPlot, read from the package for each report (a few tens of KiB; no module cache). */
function uplotAssets(): { js: string; css: string } {
  const req = createRequire(import.meta.url);
  const js = readFileSync(req.resolve("uplot/dist/uPlot.iife.min.js"), "utf8");
  const css = readFileSync(req.resolve("uplot/dist/uPlot.min.css"), "utf8");
  if (/<\/script/i.test(js) || /<\/style/i.test(css)) throw new Error("uPlot asset cannot be inlined");
  return { js, css };
}

const CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--comp:#b3001b;--att:#a85d00;--vul:#7a2a9c;--ok:#1a7f37;--unk:#57606a}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:12px;max-width:1200px;margin:auto;overflow-wrap:anywhere}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.25em;border-bottom:2px solid var(--line);padding-bottom:.2em;margin-top:1.6em}h3{font-size:1.1em;margin-top:1.4em}h4{margin:.2em 0}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}.small{font-size:.85em;color:var(--muted)}.nowrap{white-space:nowrap;overflow-wrap:normal}.hint{color:var(--muted);font-size:.85em}
.banner{border-radius:8px;padding:12px 16px;color:#fff;margin:1em 0}.banner .name{font-size:1.1em;opacity:.9}.banner .verdict{font-size:1.8em;font-weight:700}.banner .headline{font-size:1.05em;margin:.3em 0 0}
.b-compromised{background:var(--comp)}.b-attempted{background:var(--att)}.b-suspicious{background:var(--att)}.b-vulnerable{background:var(--vul)}.b-clean{background:var(--ok)}.b-unknown{background:var(--unk)}
.badge{display:inline-block;border-radius:4px;padding:1px 6px;color:#fff;font-weight:600;font-size:.9em}
.basis{border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin:0 0 10px}.basis p{margin:.2em 0}.basis h4{margin:.5em 0 .1em}.basis ul{margin:.2em 0;padding-left:1.1em}.conf{font-weight:700}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,260px),1fr));gap:10px;align-items:start}.fact{min-width:0;border:1px solid var(--line);border-left:4px solid var(--comp);border-radius:6px;padding:8px 12px}.fact.wide{grid-column:1/-1}.fact ul{margin:.2em 0;padding-left:1.1em}.fact p{margin:.2em 0}
.plan>li{margin-bottom:.8em}.plan ul{margin:.2em 0}.because a{color:inherit}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}th{overflow-wrap:normal}th[data-sort]{cursor:pointer;user-select:none}th[data-sort]:after{content:" \\2195";color:var(--muted)}
table.fixed{table-layout:fixed}.w-time{width:13em}.w-sev{width:6.5em}.w-check{width:11em}.w-record{width:11em}.w-ev{width:36%}.w-source{width:11em}.w-incident{width:8em}.w-reason{width:10em}
td.ev div{margin-bottom:1px}table.kv{table-layout:fixed}table.kv th{width:8em}
tr:target{background:#fff8c5}
.sev{display:inline-block;border-radius:3px;padding:0 4px;font-size:.8em;color:#fff}.s-critical{background:var(--comp)}.s-high{background:#d1242f}.s-medium{background:var(--att)}.s-low{background:#0969da}.s-info{background:var(--unk)}
.ok{color:var(--ok)}.warn{color:var(--att)}.cve-vulnerable td{color:var(--comp);font-weight:600}
.controls{display:flex;gap:8px;flex-wrap:wrap;margin:.3em 0}.controls input{flex:1;min-width:0;width:12em;padding:6px;font-size:1em}.controls select{padding:6px;font-size:1em;max-width:100%}
.count{color:var(--muted);font-weight:400;font-size:.85em}.chart{min-height:20px;margin:.5em 0;max-width:100%;overflow:hidden}
.u-legend{font-size:.85em}.u-legend.u-inline tr{display:inline-block}.u-legend .u-series{white-space:nowrap}
footer{margin-top:2em;color:var(--muted);font-size:.85em}
@media (max-width:600px){body{padding:6px;font-size:14px}.banner .verdict{font-size:1.4em}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:auto}table.stack thead{display:none}
table.stack tr{border-bottom:1px solid var(--line);padding:4px 0}table.stack td{border:0;padding:1px 4px}
table.stack td[data-label]:before{content:attr(data-label) ": ";font-weight:600;color:var(--muted);font-family:system-ui,sans-serif}}
`;

/** The page script: filters, sorting, charts. It reads data with JSON.parse and writes text only. */
const SCRIPT = `(function(){
"use strict";
function apply(id){
  var box=document.querySelector('[data-filter="'+id+'"]');var sel=document.querySelector('[data-sev="'+id+'"]');
  var q=box?box.value.toLowerCase():"";var sev=sel?sel.value:"";var n=0;
  var rows=document.getElementById(id).tBodies[0].rows;
  for(var i=0;i<rows.length;i++){var r=rows[i];var show=(!q||r.textContent.toLowerCase().indexOf(q)>=0)&&(!sev||r.getAttribute("data-sev")===sev);r.hidden=!show;if(show)n++;}
  var c=document.querySelector('[data-count="'+id+'"]');if(c)c.textContent=String(n);
}
document.querySelectorAll("[data-filter]").forEach(function(el){el.addEventListener("input",function(){apply(el.getAttribute("data-filter"));});});
document.querySelectorAll("[data-sev]").forEach(function(el){if(el.tagName==="SELECT")el.addEventListener("change",function(){apply(el.getAttribute("data-sev"));});});
document.querySelectorAll("table.sortable").forEach(function(t){
  var ths=t.tHead.rows[0].cells;
  Array.prototype.forEach.call(ths,function(th,col){
    if(!th.hasAttribute("data-sort"))return;
    th.addEventListener("click",function(){
      var dir=th.getAttribute("data-dir")==="asc"?-1:1;th.setAttribute("data-dir",dir===1?"asc":"desc");
      var body=t.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
      function key(r){var c=r.cells[col];if(!c)return "";var v=c.getAttribute("data-v");return v!==null?v:c.textContent;}
      rows.sort(function(a,b){var x=key(a),y=key(b);var nx=Number(x),ny=Number(y);
        if(x!==""&&y!==""&&!isNaN(nx)&&!isNaN(ny))return (nx-ny)*dir;return x.localeCompare(y)*dir;});
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
});
if(typeof uPlot==="function"){
  document.querySelectorAll(".chart[data-idx]").forEach(function(el){
    var box=document.getElementById("chart-"+el.getAttribute("data-idx"));
    var s=box?JSON.parse(box.textContent):null;
    if(!s||s.t.length===0){el.textContent="No dated finding to chart.";return;}
    var a=s.compromise,b=s.attempt,c=s.other;
    var ab=a.map(function(v,i){return v+b[i];});var abc=ab.map(function(v,i){return v+c[i];});
    var raw=[null,c,b,a];
    function gap(xs){return xs.map(function(v){return v>0?v:null;});}
    var bars=uPlot.paths.bars({size:[0.9,60],align:1});
    function sum(xs){var n=0;for(var i=0;i<xs.length;i++)n+=xs[i];return n;}
    var total=[null,sum(c),sum(b),sum(a)];
    // Legend: the bucket under the cursor, or the totals when the cursor is elsewhere (never "--").
    function fmt(si){return function(u,v,sidx,i){return String(i==null?total[si]:raw[si][i]);};}
    function iso(ts){return new Date(ts*1e3).toISOString();}
    function day(ts){return iso(ts).slice(0,10);}
    function when(ts){return s.step<86400?iso(ts).slice(0,16).replace("T"," "):day(ts);}
    // Axis labels in ISO dates (UTC), as everywhere else in the report: the date at midnight, else the hour.
    // The labels are kept on the element too: the canvas holds pixels, a reader (or test) the text.
    function ticks(u,splits){var v=splits.map(function(ts){return ts%86400===0?day(ts):iso(ts).slice(11,16);});el.setAttribute("data-x-labels",v.join("|"));return v;}
    var span=day(s.t[0])+" \u2192 "+day(s.t[s.t.length-1]);
    var w=Math.max(240,Math.min(el.clientWidth||600,1200));
    new uPlot({width:w,height:220,tzDate:function(ts){return uPlot.tzDate(new Date(ts*1e3),"Etc/UTC");},
      scales:{x:{time:true}},
      series:[{label:"UTC",value:function(u,v,sidx,i){return i==null?span:when(v);}},
        {label:"context",stroke:"#57606a",fill:"rgba(87,96,106,.45)",paths:bars,points:{show:false},value:fmt(1)},
        {label:"attempts",stroke:"#a85d00",fill:"rgba(168,93,0,.65)",paths:bars,points:{show:false},value:fmt(2)},
        {label:"compromise",stroke:"#b3001b",fill:"rgba(179,0,27,.85)",paths:bars,points:{show:false},value:fmt(3)}],
      axes:[{values:ticks,space:70},{label:"findings per "+(s.step===3600?"hour":s.step===86400?"day":(s.step/86400)+" days")}]},[s.t,gap(abc),gap(ab),gap(a)],el);
  });
}
document.body.setAttribute("data-exhunt-ready","1");
})();`;

/** The page up to the first section, and the end of the page after the last one. */
export function pageFrame(title: string): { start: string; end: string } {
  const { js, css } = uplotAssets();
  const csp = [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src ${sha256Csp(js)} ${sha256Csp(SCRIPT)}`,
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  return {
    start: `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${css}</style><style>${CSS}</style>
</head><body>
`,
    end: `<footer>Generated by exhunt. This file is self-contained: it loads nothing from the network. Chart: uPlot (MIT).</footer>
<script>${js}</script>
<script>${SCRIPT}</script>
</body></html>
`,
  };
}
