/** Tag definitions (XPath 1.0) against merged commissioning details: the pure evaluator. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileDefinition, definitionProblem, safeMatches } from '../../src/domain/tags/definition.ts';
import { emptyDetails, mergeDetails, type NodeDetails } from '../../src/domain/tags/details.ts';
import { LLDP_SERVER, LSHW_SERVER, LSHW_VM } from './fixtures.ts';

const docs: Record<string, NodeDetails> = {
  server: { lshw: LSHW_SERVER, lldp: LLDP_SERVER },
  vm: { lshw: LSHW_VM },
  lldpOnly: { lldp: LLDP_SERVER },
  none: {},
};

test('definitions match by XPath truthiness, against lshw at the root and each detail in its namespace', () => {
  // [definition, nodes it must match (all others must not)]
  const cases: Array<[string, string[]]> = [
    ['//node[@class="network"]', ['server', 'vm']],
    ['//node[@id="display"]/vendor[contains(., "NVIDIA")]', ['server']],
    ['//node[@class="processor"]/capabilities/capability[@id="vmx"]', ['server']],
    ['count(//node[@class="processor"]) >= 2', ['server']],
    ['//node[@id="memory"]/size >= 68719476736', ['server']],
    ['//node[@class="system"]/vendor = "QEMU"', ['vm']],
    ['//node[@class="network"]/configuration/setting[@id="driver"]/@value = "i40e"', ['server']],
    // The namespaced copies: lshw: and lldp: address one source explicitly.
    ['//lshw:node[@id="cpu:0"]/lshw:capacity > 3000000000', ['server']],
    ['//lshw:node[@class="disk"]', ['server', 'vm']],
    ['//lldp:interface[@name="eno1"]/lldp:chassis/lldp:name = "tor-r12-a"', ['server', 'lldpOnly']],
    ['//lldp:vlan[@vlan-id="100"]', ['server', 'lldpOnly']],
    // Un-namespaced paths never see lldp (only lshw is at the root).
    ['//interface', []],
    // Truthiness of non-node-set results.
    ['true()', ['server', 'vm', 'lldpOnly', 'none']],
    ['count(//node) - count(//node)', []],
    ['string(//node[@class="system"]/vendor)', ['server', 'vm']],
    ['/list', ['server', 'vm', 'lldpOnly', 'none']],
  ];
  const merged = Object.fromEntries(Object.entries(docs).map(([k, d]) => [k, mergeDetails(d).doc]));
  for (const [def, expected] of cases) {
    const c = compileDefinition(def);
    const got = Object.keys(docs).filter((k) => c.matches(merged[k]));
    assert.deepEqual(got, expected, def);
  }
});

test('invalid definitions are refused at compile time with the reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['//node[@id="x"', /parse/i],
    ['//foo:node', /foo/],
    ['nosuchfunction(//node)', /nosuchfunction/],
    ['', /empty/],
    ['//node['.padEnd(9000, 'x'), /longer/],
  ];
  for (const [def, why] of cases) assert.match(definitionProblem(def) ?? 'compiled', why, def);
  assert.equal(definitionProblem('//node[@class="network"]'), null);
});

test('malformed details are left out, not fatal; a node without details is evaluated on an empty <list>', () => {
  const m = mergeDetails({ lshw: '<list><node class="network"></list>', lldp: LLDP_SERVER });
  assert.deepEqual(m.skipped.map((s) => s.kind), ['lshw']);
  assert.equal(compileDefinition('//node[@class="network"]').matches(m.doc), false);
  assert.equal(compileDefinition('//lldp:interface').matches(m.doc), true);
  assert.equal(compileDefinition('count(/list/*)').matches(emptyDetails()), false);
  // DTD entity tricks are not expanded: the document is simply not well-formed for us.
  const bomb = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><list>&b;</list>';
  assert.deepEqual(mergeDetails({ lshw: bomb }).skipped.map((s) => s.kind), ['lshw']);
  // Old lshw with a <node> root is kept under the <list> root.
  const old = mergeDetails({ lshw: '<node id="box" class="system"><node class="network" id="network"/></node>' }).doc;
  assert.equal(compileDefinition('/list/node[@id="box"]/node[@class="network"]').matches(old), true);
  assert.deepEqual(safeMatches(compileDefinition('//node'), old), { match: true });
});
