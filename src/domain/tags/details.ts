/**
 * The document a tag definition is evaluated against (maas-api-spec.md §9.2): the commissioning
 * outputs of one node merged into a single XML tree.
 *
 * - The root element is `<list>`. The lshw document (`lshw -xml`, whose own root is `<list>`) *is*
 *   that root, so old definitions such as `//node[@class="network"]` keep working.
 * - Every detail is also appended under the root a second time, each element moved into a namespace
 *   named after the detail (`lshw`, `lldp`; namespace URI = prefix), so `//lshw:node[@id="cpu:0"]` and
 *   `//lldp:interface` can address one source explicitly.
 * - A detail that is not well-formed XML is left out (and reported), as if it were missing.
 */
import { DOMImplementation, DOMParser, type Document, type Element, type Node as XmlNode } from '@xmldom/xmldom';

export const DETAIL_KINDS = ['lldp', 'lshw'] as const;
export type DetailKind = (typeof DETAIL_KINDS)[number];
export type NodeDetails = Partial<Record<DetailKind, string>>;

/** The namespace map definitions are evaluated with: prefix → URI, and URI = prefix. */
export const DETAIL_NAMESPACES: Record<string, string> = Object.fromEntries(DETAIL_KINDS.map((k) => [k, k]));

export const isDetailKind = (v: string): v is DetailKind => (DETAIL_KINDS as readonly string[]).includes(v);

export class MalformedXmlError extends Error {}

const ELEMENT = 1, TEXT = 3, CDATA = 4;

/** Parses one XML document; throws MalformedXmlError with the parser's message when it is not well-formed. */
export function parseXml(xml: string): Document {
  const parser = new DOMParser({
    onError: (level, message) => { if (level !== 'warning') throw new MalformedXmlError(String(message)); },
  });
  try {
    const doc = parser.parseFromString(xml, 'text/xml');
    if (!doc.documentElement) throw new MalformedXmlError('document has no root element');
    return doc;
  } catch (err) {
    if (err instanceof MalformedXmlError) throw err;
    throw new MalformedXmlError((err as Error).message);
  }
}

/** Null when well-formed; otherwise the parser's complaint. */
export function xmlProblem(xml: string): string | null {
  try { parseXml(xml); return null; } catch (err) { return (err as Error).message; }
}

/** Copies `source` (from any document) into `doc` with every element moved into namespace `ns`. */
function namespacedCopy(doc: Document, source: Element, ns: string): Element {
  const copy = doc.createElementNS(ns, `${ns}:${source.localName ?? source.nodeName}`);
  for (let i = 0; i < source.attributes.length; i++) {
    const a = source.attributes.item(i)!;
    if (a.name === 'xmlns' || a.name.startsWith('xmlns:')) continue;
    if (a.namespaceURI) copy.setAttributeNS(a.namespaceURI, a.name, a.value);
    else copy.setAttribute(a.name, a.value);
  }
  for (let c: XmlNode | null = source.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === ELEMENT) copy.appendChild(namespacedCopy(doc, c as Element, ns));
    else if (c.nodeType === TEXT || c.nodeType === CDATA) copy.appendChild(doc.createTextNode(c.nodeValue ?? ''));
  }
  return copy;
}

export interface MergedDetails {
  doc: Document;
  /** Details that were present but not well-formed, with the parser's message. */
  skipped: Array<{ kind: DetailKind; problem: string }>;
}

/** Builds the merged document for one node. Never throws for bad input: bad details are skipped. */
export function mergeDetails(details: NodeDetails): MergedDetails {
  const parsed = new Map<DetailKind, Document>();
  const skipped: MergedDetails['skipped'] = [];
  for (const kind of DETAIL_KINDS) {
    const xml = details[kind];
    if (xml === undefined) continue;
    try { parsed.set(kind, parseXml(xml)); } catch (err) { skipped.push({ kind, problem: (err as Error).message }); }
  }
  const lshw = parsed.get('lshw');
  let doc: Document;
  if (lshw && lshw.documentElement!.nodeName === 'list') {
    doc = lshw;
  } else {
    doc = new DOMImplementation().createDocument(null, 'list', null);
    // Old lshw versions have a single <node> root: keep it as the root's child.
    if (lshw) doc.documentElement!.appendChild(doc.importNode(lshw.documentElement!, true));
  }
  const root = doc.documentElement!;
  // Copies are made before any is appended, so copying lshw never sees its own namespaced copy.
  const copies = DETAIL_KINDS.filter((k) => parsed.has(k)).map((k) => namespacedCopy(doc, parsed.get(k)!.documentElement!, k));
  for (const c of copies) root.appendChild(c);
  return { doc, skipped };
}

/** A document with nothing in it: what a node without commissioning data is evaluated against. */
export function emptyDetails(): Document {
  return new DOMImplementation().createDocument(null, 'list', null);
}
