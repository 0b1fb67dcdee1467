/**
 * Metadata embedded in a script's text, between comment lines
 *   # --- Start MAAS 1.0 script metadata ---
 *   # --- End MAAS 1.0 script metadata ---
 * Each line in between is YAML after its first '#'. Only version 1.0 blocks are read (the first one).
 */
import { FieldProblem } from './model.ts';
import { parseYamlSubset, YamlError, type YamlValue } from './metadata-yaml.ts';

const DELIMITER = /^\s*#\s*-+\s*(Start|End) MAAS (\d+\.\d+) script metadata\s+-+/i;

/** Script text as stored: Unix line endings (it runs on Ubuntu). */
export const unixText = (text: string) => text.replace(/\r\n/g, '\n');

/** The embedded metadata as a mapping (empty when there is no block); FieldProblem when it does not parse. */
export function embeddedMetadata(text: string): Record<string, YamlValue> {
  const lines = text.split('\n');
  let inBlock = false;
  const yaml: string[] = [];
  for (const line of lines.slice(1)) {
    const m = DELIMITER.exec(line);
    if (m) {
      if (!inBlock && m[1].toLowerCase() === 'start' && m[2] === '1.0') { inBlock = true; continue; }
      if (inBlock && m[2] === '1.0') break;
      continue;
    }
    if (!inBlock || line.trim() === '') continue;
    const hash = line.indexOf('#');
    if (hash < 0) throw new FieldProblem('Missing "#" on YAML line.');
    yaml.push(line.slice(hash + 1));
  }
  if (!yaml.length) return {};
  let doc: YamlValue;
  try {
    doc = parseYamlSubset(yaml.join('\n'));
  } catch (e) {
    if (e instanceof YamlError) throw new FieldProblem(`Invalid YAML: ${e.message}`);
    throw e;
  }
  return doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? doc : {};
}
