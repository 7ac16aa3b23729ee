/** Test helper: a strict XML reader (JUnit reports, SVG pictures). */
/** A strict little XML reader: throws on anything not well-formed. Elements with attributes, text and children. */
export interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}
export function parseXml(xml: string): El {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`XML at ${i}: ${why}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  const entity = (s: string) =>
    s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);|&/g, (_m, name: string | undefined) => {
      if (!name) return fail('bare &');
      if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
      if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
      return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[name]!;
    });
  const skipMisc = () => {
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(i))![0].length;
      i += ws;
      if (xml.startsWith('<?', i)) i = xml.indexOf('?>', i) + 2 || fail('unclosed <?');
      else if (xml.startsWith('<!--', i)) i = xml.indexOf('-->', i) + 3 || fail('unclosed comment');
      else return;
    }
  };
  const element = (): El => {
    const open = /^<([A-Za-z_][\w.-]*)/.exec(xml.slice(i)) ?? fail('expected an element');
    const el: El = { name: open[1]!, attrs: {}, children: [], text: '' };
    i += open[0].length;
    for (;;) {
      const attr = /^\s+([A-Za-z_][\w.:-]*)="([^"<]*)"/.exec(xml.slice(i));
      if (!attr) break;
      if (attr[1]! in el.attrs) fail('duplicate attribute');
      el.attrs[attr[1]!] = entity(attr[2]!);
      i += attr[0].length;
    }
    i += /^\s*/.exec(xml.slice(i))![0].length;
    if (xml.startsWith('/>', i)) {
      i += 2;
      return el;
    }
    if (xml[i] !== '>') fail('bad tag');
    i++;
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) fail('unclosed element');
      el.text += entity(xml.slice(i, lt));
      i = lt;
      if (xml.startsWith(`</${el.name}>`, i)) {
        i += el.name.length + 3;
        return el;
      }
      if (xml.startsWith('</', i)) fail(`mismatched close of ${el.name}`);
      if (xml.startsWith('<!--', i)) {
        i = xml.indexOf('-->', i) + 3 || fail('unclosed comment');
        continue;
      }
      el.children.push(element());
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== xml.length) fail('content after the root element');
  return root;
}
export const all = (el: El, name: string): El[] => [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];
