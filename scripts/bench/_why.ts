import { readFileSync } from 'node:fs';

const [name, target] = process.argv.slice(2);
const meta = JSON.parse(readFileSync(`.artifacts/bundles/${name}/meta.json`, 'utf8'));
const entry = Object.keys(meta.inputs).find((p) => p.endsWith(`functions/src/${name}.ts`))!;
const prev = new Map<string, string>([[entry, '']]);
const queue = [entry];
while (queue.length) {
  const cur = queue.shift()!;
  for (const imp of meta.inputs[cur]?.imports ?? []) {
    if (imp.kind === 'dynamic-import' || imp.external) continue;
    if (prev.has(imp.path)) continue;
    prev.set(imp.path, cur);
    queue.push(imp.path);
  }
}
const hit = [...prev.keys()].find((p) => p.includes(target!));
const chain = [];
let p = hit;
while (p) {
  chain.push(p);
  p = prev.get(p);
}
console.log(chain.reverse().join('\n  <- '));
