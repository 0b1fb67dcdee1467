/**
 * The YAML subset a script's embedded metadata block is written in (no YAML library is bundled):
 * block mappings and sequences by indentation (a sequence item may itself be a mapping), flow
 * sequences `[a, b]` and mappings `{a: b}`, `|` and `>` block scalars, single- and double-quoted
 * strings, `# comments`, and YAML 1.1 scalars as PyYAML reads them: null/~, true/false/yes/no/on/off,
 * integers and floats; anything else is a string. Anchors, aliases, tags and multi-document streams
 * are not supported (a clear error, never a guess).
 */
export class YamlError extends Error {}

export type YamlValue = null | boolean | number | string | YamlValue[] | { [k: string]: YamlValue };

interface Line { no: number; indent: number; text: string }

/** The text without a trailing ` # comment` (outside quotes). */
function stripComment(s: string): string {
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s[{,:]/.test(s[i - 1])) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]))) {
      return s.slice(0, i).trimEnd();
    }
  }
  return s.trimEnd();
}

function plainScalar(raw: string): YamlValue {
  const s = raw.trim();
  if (s === '' || s === '~' || /^null$/i.test(s)) return null;
  if (/^(true|yes|on)$/i.test(s)) return true;
  if (/^(false|no|off)$/i.test(s)) return false;
  if (/^[-+]?(0|[1-9][\d_]*)$/.test(s)) return Number(s.replace(/_/g, ''));
  if (/^[-+]?(\d[\d_]*)?\.\d+([eE][-+]?\d+)?$/.test(s) || /^[-+]?\d[\d_]*\.\d*([eE][-+]?\d+)?$/.test(s)) return Number(s.replace(/_/g, ''));
  if (/^[&*!|>%@`]/.test(s)) throw new YamlError(`unsupported YAML syntax: ${s}`);
  return s;
}

/** Flow-style values: `[…]`, `{…}`, quoted and plain scalars, read from one line. */
class Flow {
  pos = 0;
  constructor(private readonly s: string, private readonly no: number) {}
  fail(msg: string): never { throw new YamlError(`line ${this.no}: ${msg}`); }
  ws() { while (this.pos < this.s.length && /\s/.test(this.s[this.pos])) this.pos++; }
  value(inFlow: boolean): YamlValue {
    this.ws();
    const c = this.s[this.pos];
    if (c === '[') return this.seq();
    if (c === '{') return this.map();
    if (c === '"' || c === "'") return this.quoted();
    const start = this.pos;
    const stop = inFlow ? /[,\]}]/ : /$^/;
    while (this.pos < this.s.length && !stop.test(this.s[this.pos])) {
      if (inFlow && this.s[this.pos] === ':' && /\s/.test(this.s[this.pos + 1] ?? ' ')) break;
      this.pos++;
    }
    return plainScalar(this.s.slice(start, this.pos));
  }
  quoted(): string {
    const q = this.s[this.pos++];
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s[this.pos++];
      if (q === "'" && c === "'") {
        if (this.s[this.pos] === "'") { out += "'"; this.pos++; continue; }
        return out;
      }
      if (q === '"' && c === '"') return out;
      if (q === '"' && c === '\\') {
        const e = this.s[this.pos++];
        out += ({ n: '\n', t: '\t', '"': '"', '\\': '\\', '/': '/', r: '\r', '0': '\0' } as Record<string, string>)[e] ?? this.fail(`unknown escape \\${e}`);
        continue;
      }
      out += c;
    }
    return this.fail('unterminated quoted string');
  }
  seq(): YamlValue[] {
    this.pos++;
    const out: YamlValue[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.pos] === ']') { this.pos++; return out; }
      out.push(this.value(true));
      this.ws();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== ']') this.fail("expected ',' or ']'");
    }
  }
  map(): { [k: string]: YamlValue } {
    this.pos++;
    const out: { [k: string]: YamlValue } = {};
    for (;;) {
      this.ws();
      if (this.s[this.pos] === '}') { this.pos++; return out; }
      const key = this.value(true);
      this.ws();
      if (this.s[this.pos] !== ':') this.fail("expected ':' in a flow mapping");
      this.pos++;
      out[String(key)] = this.value(true);
      this.ws();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== '}') this.fail("expected ',' or '}'");
    }
  }
  done() { this.ws(); if (this.pos < this.s.length) this.fail(`unexpected text: ${this.s.slice(this.pos)}`); }
}

/** `key: rest` (a plain or quoted key, then ':' and a blank or the end); null when the line is no such pair. */
function splitKey(text: string, no: number): { key: string; rest: string } | null {
  if (text[0] === '"' || text[0] === "'") {
    const f = new Flow(text, no);
    const key = f.quoted();
    const m = /^\s*:(\s+|$)/.exec(text.slice(f.pos));
    return m ? { key, rest: text.slice(f.pos + m[0].length) } : null;
  }
  if (/^[[{]/.test(text)) return null;
  const m = /:(\s+|$)/.exec(text);
  return m ? { key: text.slice(0, m.index).trim(), rest: text.slice(m.index + m[0].length) } : null;
}

function inline(text: string, no: number): YamlValue {
  const f = new Flow(text, no);
  try {
    const v = f.value(false);
    f.done();
    return v;
  } catch (e) {
    if (e instanceof YamlError && !e.message.startsWith('line ')) throw new YamlError(`line ${no}: ${e.message}`);
    throw e;
  }
}

class Block {
  i = 0;
  constructor(private readonly lines: Line[], private readonly raw: string[]) {}
  peek(): Line | undefined { return this.lines[this.i]; }
  fail(l: Line, msg: string): never { throw new YamlError(`line ${l.no}: ${msg}`); }

  node(indent: number): YamlValue {
    const l = this.peek();
    if (!l || l.indent < indent) return null;
    return /^-(\s|$)/.test(l.text) ? this.sequence(l.indent) : this.mapping(l.indent);
  }

  /** The value after `key:` or `- `: nested block, block scalar, or inline. */
  rest(l: Line, rest: string, indent: number, inSeq: boolean): YamlValue {
    const r = stripComment(rest).trim();
    if (/^[|>][-+]?$/.test(r)) return this.blockScalar(indent, r);
    if (r !== '') return inline(r, l.no);
    const next = this.peek();
    if (next && (next.indent > indent || (!inSeq && next.indent === indent && /^-(\s|$)/.test(next.text)))) return this.node(next.indent);
    return null;
  }

  blockScalar(indent: number, style: string): string {
    const parts: string[] = [];
    const first = this.peek();
    const start = first?.no;
    while (this.peek() && this.peek()!.indent > indent) this.i++;
    if (start === undefined || this.i === 0 || this.lines[this.i - 1].no < start) return '';
    const end = this.lines[this.i - 1].no;
    const body = this.raw.slice(start - 1, end);
    const cut = Math.min(...body.filter((s) => s.trim()).map((s) => s.length - s.trimStart().length));
    for (const s of body) parts.push(s.slice(cut));
    let text = parts.join('\n');
    if (style[0] === '>') {
      // Folded: lines of a paragraph join with spaces; a blank line is a line break.
      const paras: string[][] = [[]];
      for (const p of parts) if (p.trim()) paras[paras.length - 1].push(p.trim()); else paras.push([]);
      text = paras.map((x) => x.join(' ')).join('\n');
    }
    if (style[1] !== '-') text += '\n';
    return text;
  }

  mapping(indent: number): { [k: string]: YamlValue } {
    const out: { [k: string]: YamlValue } = {};
    for (let l = this.peek(); l && l.indent === indent; l = this.peek()) {
      if (/^-(\s|$)/.test(l.text)) this.fail(l, 'a sequence item where a mapping key was expected');
      const kv = splitKey(l.text, l.no);
      if (!kv) this.fail(l, `expected 'key: value', got '${l.text}'`);
      this.i++;
      out[kv.key] = this.rest(l, kv.rest, indent, false);
    }
    const l = this.peek();
    if (l && l.indent > indent) this.fail(l, 'unexpected indentation');
    return out;
  }

  sequence(indent: number): YamlValue[] {
    const out: YamlValue[] = [];
    for (let l = this.peek(); l && l.indent === indent && /^-(\s|$)/.test(l.text); l = this.peek()) {
      const after = l.text.slice(1);
      const content = after.trimStart();
      const contentIndent = indent + 1 + (after.length - content.length);
      if (content !== '' && splitKey(stripComment(content), l.no)) {
        // `- key: value`: a mapping whose first key sits on the item's line.
        this.lines[this.i] = { no: l.no, indent: contentIndent, text: content };
        out.push(this.mapping(contentIndent));
      } else {
        this.i++;
        out.push(this.rest(l, content, indent, true));
      }
    }
    return out;
  }
}

/** Parses the block (already without its leading `#`s). Null for an empty block. */
export function parseYamlSubset(text: string): YamlValue {
  const raw = text.split(/\r?\n/);
  const lines: Line[] = [];
  raw.forEach((s, i) => {
    if (s.includes('\t') && /^\s*\t/.test(s)) throw new YamlError(`line ${i + 1}: tabs are not allowed for indentation`);
    const body = stripComment(s);
    if (!body.trim()) return;
    if (/^\s*(---|\.\.\.)\s*$/.test(body)) throw new YamlError(`line ${i + 1}: document markers are not supported`);
    lines.push({ no: i + 1, indent: body.length - body.trimStart().length, text: body.trim() });
  });
  if (!lines.length) return null;
  const b = new Block(lines, raw);
  const base = Math.min(...lines.map((l) => l.indent));
  const first = b.peek()!;
  if (first.indent !== base) b.fail(first, 'unexpected indentation');
  let v: YamlValue;
  if (/^-(\s|$)/.test(first.text) || splitKey(first.text, first.no)) v = b.node(base);
  else { v = inline(first.text, first.no); b.i++; }
  const left = b.peek();
  if (left) b.fail(left, 'unexpected text after the document');
  return v;
}
