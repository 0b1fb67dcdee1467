/**
 * Manual power: Plinth has no control over the machine; a person presses the button. Every action
 * succeeds at once with a note saying what the operator must do; the state is always `unknown`.
 */
import type { ActionResult, PowerDriver, PowerParams, PowerState } from './driver.ts';
import { schemaErrors, schemaOf, driverIdentity } from './schema.ts';

const note = (what: string): ActionResult => ({ note: `Manual power type: Plinth cannot control this machine; ${what} it by hand.` });

export function createManualDriver(): PowerDriver {
  const schema = schemaOf('manual');
  return {
    ...driverIdentity(schema),
    requiredCommands: [],
    validate: (p: PowerParams) => schemaErrors('manual', p),
    // No BMC: nothing to serialise against, so each call stands alone under one shared key.
    bmcKey: () => 'manual',
    powerOn: async () => note('power on'),
    powerOff: async () => note('power off'),
    powerCycle: async () => note('power cycle'),
    queryState: async (): Promise<PowerState> => 'unknown',
  };
}

export const manualDriver = createManualDriver();
