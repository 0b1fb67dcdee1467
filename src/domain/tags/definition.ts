/**
 * Tag definitions: XPath 1.0 expressions over a node's merged commissioning details (details.ts).
 * A node carries the tag when the expression's value is true by XPath's boolean() rules (XPath 1.0
 * §4.3): a non-empty node-set, true, a non-zero number, a non-empty string.
 */
import type { Document } from '@xmldom/xmldom';
import { DETAIL_NAMESPACES, emptyDetails } from './details.ts';
import { parseXPath, type ParsedXPath } from './xpath-engine.ts';

export interface CompiledDefinition {
  source: string;
  /** True when the node's details satisfy the definition. Throws only on evaluation errors. */
  matches(doc: Document): boolean;
}

export class DefinitionError extends Error {}

const MAX_LENGTH = 8192;
let probe: Document | undefined;

/**
 * Compiles a definition. Syntax errors, unknown namespace prefixes and unknown functions are all
 * reported here (by a trial evaluation against an empty document), not later per node.
 */
export function compileDefinition(source: string): CompiledDefinition {
  if (source.trim() === '') throw new DefinitionError('the definition is empty');
  if (source.length > MAX_LENGTH) throw new DefinitionError(`longer than ${MAX_LENGTH} characters`);
  let parsed: ParsedXPath;
  try { parsed = parseXPath(source); } catch (err) { throw new DefinitionError((err as Error).message); }
  const matches = (doc: Document) => parsed.evaluate({ node: doc, namespaces: DETAIL_NAMESPACES }).booleanValue();
  try { matches((probe ??= emptyDetails())); } catch (err) { throw new DefinitionError((err as Error).message); }
  return { source, matches };
}

/** Null when the definition compiles; otherwise why not (for a 400 on create/update). */
export function definitionProblem(source: string): string | null {
  try { compileDefinition(source); return null; } catch (err) { return (err as Error).message; }
}

/** Evaluates, treating an evaluation error on this particular document as "no match". */
export function safeMatches(def: CompiledDefinition, doc: Document): { match: boolean; error?: string } {
  try { return { match: def.matches(doc) }; } catch (err) { return { match: false, error: (err as Error).message }; }
}
