// Generates the two worked examples' feeds (README, Ingest: "Worked examples"), seeded, so
// the committed files can be made again: node examples/generate.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
let seed = 15;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

// (a) An order-by-order (L3) feed of array frames: [channel, [order id, price, amount], kind, ms].
// amount > 0 is a bid, < 0 an ask (Bitfinex's sign); a fill or cancel carries the amount it
// takes off the book; [channel, "hb"] is a heartbeat.
{
  const lines = [];
  const open = new Map();
  let t = 1733011200000;
  let n = 0;
  for (let i = 0; i < 40; i++) {
    t += 1 + Math.floor(rand() * 900);
    if (i % 10 === 9) { lines.push(`[8047,"hb"]`); continue; }
    const live = [...open.keys()];
    const r = rand();
    if (live.length < 3 || r < 0.5) {
      const side = rand() < 0.5 ? 1 : -1;
      const price = (side > 0 ? 100 - Math.floor(rand() * 4) * 0.1 : 100.2 + Math.floor(rand() * 4) * 0.1).toFixed(2);
      const qty = 1 + Math.floor(rand() * 9);
      const id = `ord-${++n}`;
      open.set(id, { price, qty, side });
      lines.push(`[8047,["${id}",${price},${side * qty}],"add",${t}]`);
    } else {
      const id = pick(live);
      const o = open.get(id);
      const fill = r < 0.8;
      const qty = fill ? Math.min(o.qty, 1 + Math.floor(rand() * o.qty)) : o.qty;
      o.qty -= qty;
      if (o.qty === 0) open.delete(id);
      lines.push(`[8047,["${id}",${o.price},${o.side * qty}],"${fill ? 'fill' : 'cancel'}",${t}]`);
    }
  }
  fs.writeFileSync(path.join(here, 'l3-orders', 'feed.ndjson'), lines.join('\n') + '\n');
}

// (b) A level-based (L2) feed: snapshot and delta messages with updateId u, a size of "0"
// removing a level, and {"event":"info"} control frames.
{
  const lines = ['{"event":"info","version":2,"platform":{"status":1}}'];
  const book = { b: new Map(), a: new Map() };
  const level = (side, k) => (side === 'b' ? 100 - k * 0.25 : 100.5 + k * 0.25).toFixed(2);
  const size = () => (1 + Math.floor(rand() * 50) / 10).toFixed(3);
  const snapshot = (u) => {
    for (const side of ['b', 'a']) {
      book[side].clear();
      for (let k = 0; k < 4; k++) book[side].set(level(side, k), size());
    }
    const levels = (side) => [...book[side]].map(([p, s]) => `["${p}","${s}"]`).join(',');
    return `{"type":"snapshot","data":{"b":[${levels('b')}],"a":[${levels('a')}],"u":${u}}}`;
  };
  lines.push(snapshot(1));
  for (let u = 2; u <= 16; u++) {
    if (u === 10) { lines.push(snapshot(u)); continue; }
    if (u % 6 === 0) lines.push('{"event":"info","message":"heartbeat"}');
    const change = { b: [], a: [] };
    for (let c = 0; c < 1 + Math.floor(rand() * 3); c++) {
      const side = rand() < 0.5 ? 'b' : 'a';
      const p = level(side, Math.floor(rand() * 4) - (side === 'b' ? 1 : 0)); // bid -1: inside the spread
      const s = rand() < 0.35 ? '0' : size();
      if (change[side].some(([q]) => q === p)) continue;
      change[side].push([p, s]);
      if (s === '0') book[side].delete(p); else book[side].set(p, s);
    }
    if (change.b.length + change.a.length === 0) change.b.push([level('b', 0), size()]);
    const levels = (side) => change[side].map(([p, s]) => `["${p}","${s}"]`).join(',');
    lines.push(`{"type":"delta","data":{"b":[${levels('b')}],"a":[${levels('a')}],"u":${u}}}`);
  }
  fs.writeFileSync(path.join(here, 'l2-levels', 'feed.ndjson'), lines.join('\n') + '\n');
}
