/** The manual driver through the shared conformance suite: there is nothing to observe or control. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { manualDriver } from '../../src/edges/rack/power/manual.ts';
import { powerConformance } from './conformance.ts';

powerConformance(manualDriver, {}, {
  // Nobody can see a manually powered machine: the simulator of "a person at the button" reports unknown.
  observe: async () => ({ power: 'unknown', boots: 0 }),
  force: async () => {},
  secrets: [],
});

it('manual: every action explains that a person must act', async () => {
  for (const result of [await manualDriver.powerOn({}), await manualDriver.powerOff({}), await manualDriver.powerCycle({})])
    assert.match(result.note ?? '', /Manual power type.*by hand/);
  assert.equal(await manualDriver.queryState({}), 'unknown');
});
