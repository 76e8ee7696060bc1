import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const filter = process.argv[3] ?? 'dist/';
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const acc = new Map();
for (let i = 0; i < p.samples.length; i++) {
  let id = p.samples[i];
  const seen = new Set();
  if (byId.get(id).callFrame.functionName === '(idle)') continue;
  while (id !== undefined) {
    const f = byId.get(id).callFrame;
    if (f.url.includes(filter)) {
      const k = `${f.functionName}@${f.url.replace(/.*dist\//, '').replace(/.*node_modules\//, '')}:${f.lineNumber}`;
      if (!seen.has(k)) {
        seen.add(k);
        acc.set(k, (acc.get(k) ?? 0) + p.timeDeltas[i]);
      }
    }
    id = parent.get(id);
  }
}
console.log(
  [...acc.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(process.argv[4] ?? 30))
    .map(([k, v]) => `${(v / 1000).toFixed(0).padStart(6)} ms ${k}`)
    .join('\n'),
);
