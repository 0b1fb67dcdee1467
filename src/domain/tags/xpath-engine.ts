/**
 * The XPath 1.0 engine (the `xpath` package, pure JavaScript) seen through the few calls we use.
 *
 * Why the indirect import: the package's type declarations pull the DOM library into the whole
 * TypeScript program, which changes the types of `fetch` and friends for every other file. Loading it
 * through a specifier TypeScript does not resolve keeps its declarations out; the narrow interface
 * below is all the rest of Plinth sees.
 */
import type { Node as XmlNode } from '@xmldom/xmldom';

/** An XPath value: node-set, boolean, number or string (XPath 1.0 §1). */
export interface XPathValue {
  booleanValue(): boolean;
}

export interface XPathEvalOptions {
  node: XmlNode;
  namespaces: Record<string, string>;
}

export interface ParsedXPath {
  evaluate(options: XPathEvalOptions): XPathValue;
}

interface XPathModule { parse(expression: string): ParsedXPath }

const SPECIFIER: string = 'xpath';
const loaded = (await import(SPECIFIER)) as { default?: XPathModule } & Partial<XPathModule>;
const engine: XPathModule = loaded.default ?? (loaded as XPathModule);

/** Parses an expression; throws on a syntax error. */
export function parseXPath(expression: string): ParsedXPath {
  return engine.parse(expression);
}
