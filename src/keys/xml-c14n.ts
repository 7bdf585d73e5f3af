/**
 * A small, bounded XML tree and Canonical XML 1.0 (W3C REC-xml-c14n-20010315,
 * without comments), enough to verify XML signatures on CPIX documents.
 *
 * The tokenizer runs only on text that already passed parseXmlSafely
 * (well-formed, no DOCTYPE, bounded size and depth). It keeps element and
 * attribute order, resolves namespaces, normalises line ends (XML 1.0 §2.11)
 * and attribute whitespace (§3.3.3) and decodes the predefined entities and
 * character references.
 */
import { KeysmithError } from '../errors.js';
import { decodeXmlEntities } from '../drm/xml.js';

export interface XElement {
  kind: 'element';
  name: string;
  prefix: string;
  local: string;
  /** Namespace URI of the element ('' for none). */
  ns: string;
  attrs: { name: string; value: string }[];
  /** In-scope namespace declarations, prefix → URI ('' = default). */
  inScope: Map<string, string>;
  children: XNode[];
  parent: XElement | undefined;
}

export type XNode = XElement | { kind: 'text'; value: string } | { kind: 'comment' } | { kind: 'pi'; target: string; data: string };

function xmlError(message: string): KeysmithError {
  return new KeysmithError('ERR_CPIX_XML', `xml: ${message}`);
}

const NAME = /^[^\s/>=]+/;

function splitName(name: string): { prefix: string; local: string } {
  const i = name.indexOf(':');
  return i < 0 ? { prefix: '', local: name } : { prefix: name.slice(0, i), local: name.slice(i + 1) };
}

/** Build the tree of a (pre-validated) document; returns the root element. */
export function parseXmlTree(input: string, maxNodes = 200_000): XElement {
  const text = input.replace(/\r\n?/g, '\n');
  let i = 0;
  let nodes = 0;
  let root: XElement | undefined;
  let current: XElement | undefined;
  const push = (n: XNode): void => {
    if (++nodes > maxNodes) throw xmlError(`more than ${maxNodes} nodes`);
    if (current) current.children.push(n);
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const end = lt < 0 ? text.length : lt;
    if (end > i) {
      if (current) push({ kind: 'text', value: decodeXmlEntities(text.slice(i, end), 'ERR_CPIX_XML') });
      else if (text.slice(i, end).trim() !== '') throw xmlError('text outside the root element');
    }
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      const close = text.indexOf('-->', lt + 4);
      if (close < 0) throw xmlError('unterminated comment');
      push({ kind: 'comment' });
      i = close + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      const close = text.indexOf(']]>', lt + 9);
      if (close < 0 || !current) throw xmlError('bad CDATA section');
      push({ kind: 'text', value: text.slice(lt + 9, close) });
      i = close + 3;
    } else if (text.startsWith('<?', lt)) {
      const close = text.indexOf('?>', lt + 2);
      if (close < 0) throw xmlError('unterminated processing instruction');
      const body = text.slice(lt + 2, close);
      const target = NAME.exec(body)?.[0] ?? '';
      if (target.toLowerCase() !== 'xml') push({ kind: 'pi', target, data: body.slice(target.length).replace(/^\s+/, '') });
      i = close + 2;
    } else if (text.startsWith('<!', lt)) {
      throw xmlError('declarations are not allowed');
    } else if (text[lt + 1] === '/') {
      const close = text.indexOf('>', lt);
      const name = text.slice(lt + 2, close).trim();
      if (!current || current.name !== name) throw xmlError(`unexpected </${name.slice(0, 40)}>`);
      current = current.parent;
      i = close + 1;
    } else {
      i = parseStartTag(text, lt, (el, selfClosing) => {
        if (!current && root) throw xmlError('more than one root element');
        if (++nodes > maxNodes) throw xmlError(`more than ${maxNodes} nodes`);
        el.parent = current;
        el.inScope = new Map(current ? current.inScope : [['xml', 'http://www.w3.org/XML/1998/namespace']]);
        for (const a of el.attrs) {
          if (a.name === 'xmlns') el.inScope.set('', a.value);
          else if (a.name.startsWith('xmlns:')) el.inScope.set(a.name.slice(6), a.value);
        }
        const uri = el.inScope.get(el.prefix);
        if (uri === undefined && el.prefix !== '') throw xmlError(`undeclared namespace prefix '${el.prefix}'`);
        el.ns = uri ?? '';
        if (current) current.children.push(el);
        else root = el;
        if (!selfClosing) current = el;
      });
    }
  }
  if (!root || current) throw xmlError('document is not complete');
  return root;
}

function parseStartTag(text: string, lt: number, onElement: (el: XElement, selfClosing: boolean) => void): number {
  let o = lt + 1;
  const m = NAME.exec(text.slice(o, o + 512));
  if (!m) throw xmlError(`bad tag at offset ${lt}`);
  const name = m[0];
  o += name.length;
  const attrs: { name: string; value: string }[] = [];
  for (;;) {
    while (/\s/.test(text[o] ?? '')) o++;
    const c = text[o];
    if (c === undefined) throw xmlError('unterminated tag');
    if (c === '>' || (c === '/' && text[o + 1] === '>')) {
      const { prefix, local } = splitName(name);
      onElement({ kind: 'element', name, prefix, local, ns: '', attrs, inScope: new Map(), children: [], parent: undefined }, c === '/');
      return c === '>' ? o + 1 : o + 2;
    }
    const an = NAME.exec(text.slice(o, o + 512));
    if (!an) throw xmlError(`bad attribute in <${name}>`);
    o += an[0].length;
    while (/\s/.test(text[o] ?? '')) o++;
    if (text[o] !== '=') throw xmlError(`attribute ${an[0]} without a value`);
    o++;
    while (/\s/.test(text[o] ?? '')) o++;
    const q = text[o];
    if (q !== '"' && q !== "'") throw xmlError(`attribute ${an[0]} value is not quoted`);
    const close = text.indexOf(q, o + 1);
    if (close < 0) throw xmlError('unterminated attribute value');
    // §3.3.3: literal whitespace becomes a space; character references are kept as written.
    const raw = text.slice(o + 1, close).replace(/[\t\n\r]/g, ' ');
    attrs.push({ name: an[0], value: decodeXmlEntities(raw, 'ERR_CPIX_XML') });
    o = close + 1;
  }
}

// ---------------------------------------------------------------- Canonical XML 1.0

function escText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

function escAttr(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}

/**
 * Inclusive Canonical XML 1.0 of the subtree at `apex` (a document subset
 * per §2.3), leaving out `exclude` (the enveloped-signature transform,
 * XMLDSig §6.6.4) and all comments.
 */
export function canonicalize(apex: XElement, exclude?: XElement): string {
  const out: string[] = [];
  const visit = (el: XElement, rendered: Map<string, string>): void => {
    // §2.3 / §4.7: namespace nodes not already rendered with the same value by the output parent.
    const decls: [string, string][] = [];
    for (const [prefix, uri] of el.inScope) {
      if (prefix === 'xml') continue;
      if (prefix === '' && uri === '') {
        if ((rendered.get('') ?? '') !== '') decls.push(['', '']);
      } else if (rendered.get(prefix) !== uri) {
        decls.push([prefix, uri]);
      }
    }
    decls.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const attrs = el.attrs
      .filter((a) => a.name !== 'xmlns' && !a.name.startsWith('xmlns:'))
      .map((a) => {
        const { prefix, local } = splitName(a.name);
        return { ...a, uri: prefix === '' ? '' : (el.inScope.get(prefix) ?? ''), local };
      })
      .sort((a, b) => (a.uri !== b.uri ? (a.uri < b.uri ? -1 : 1) : a.local < b.local ? -1 : a.local > b.local ? 1 : 0));
    out.push(`<${el.name}`);
    for (const [p, u] of decls) out.push(p === '' ? ` xmlns="${escAttr(u)}"` : ` xmlns:${p}="${escAttr(u)}"`);
    for (const a of attrs) out.push(` ${a.name}="${escAttr(a.value)}"`);
    out.push('>');
    const next = new Map(rendered);
    for (const [p, u] of decls) next.set(p, u);
    for (const c of el.children) {
      if (c.kind === 'element') {
        if (c !== exclude) visit(c, next);
      } else if (c.kind === 'text') out.push(escText(c.value));
      else if (c.kind === 'pi') out.push(`<?${c.target}${c.data ? ` ${c.data}` : ''}?>`);
    }
    out.push(`</${el.name}>`);
  };
  visit(apex, new Map());
  return out.join('');
}

/** Depth-first list of elements (bounded by the tree size). */
export function allElements(root: XElement): XElement[] {
  const out: XElement[] = [];
  const stack: XElement[] = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    out.push(el);
    for (let i = el.children.length - 1; i >= 0; i--) {
      const c = el.children[i]!;
      if (c.kind === 'element') stack.push(c);
    }
  }
  return out;
}

export function childElements(el: XElement, local?: string, ns?: string): XElement[] {
  return el.children.filter(
    (c): c is XElement => c.kind === 'element' && (local === undefined || c.local === local) && (ns === undefined || c.ns === ns),
  );
}

export function textContent(el: XElement): string {
  return el.children.map((c) => (c.kind === 'text' ? c.value : c.kind === 'element' ? textContent(c) : '')).join('');
}

export function attr(el: XElement, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name)?.value;
}
