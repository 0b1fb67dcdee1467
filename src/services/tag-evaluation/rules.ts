/**
 * Rules the tag use cases (services/tags.ts) apply to definitions: a definition must be a valid XPath
 * 1.0 expression over the commissioning details, and a defined tag's machines follow from evaluation,
 * so `update_nodes` may only change them on behalf of an evaluator that proves it evaluated the
 * current definition (MAAS's worker protocol: `definition=` equal to the stored one).
 */
import { conflict, invalid } from '../../domain/errors.ts';
import { definitionProblem } from '../../domain/tags/definition.ts';

/** 400 unless the definition is empty (a manual tag) or compiles. */
export function checkTagDefinition(definition: string) {
  if (definition === '') return;
  const problem = definitionProblem(definition);
  if (problem) throw invalid({ definition: [`Invalid xpath expression: ${definition} (${problem})`] });
}

/** Refuses manual changes to a defined tag's machines; the mismatch case keeps MAAS's exact text. */
export function checkTagNodesUpdate(tag: { name: string; definition: string }, definition: string | undefined) {
  if (definition !== undefined && definition !== tag.definition)
    throw conflict(`Definition supplied '${definition}' doesn't match current definition '${tag.definition}'`);
  if (tag.definition !== '' && definition === undefined)
    throw conflict(`Tag '${tag.name}' has a definition: its machines follow from their commissioning data and cannot be assigned by hand. `
      + 'Clear the definition to manage it manually, or pass definition= with the current definition when reporting evaluation results.');
}
