/**
 * The cloud-config a booting environment gets through the kernel's `cloud-config-url`
 * (maas-api-spec §5.6): where the metadata service is and this machine's credentials, where to post
 * progress (the status webhook), and what to do when the environment is done (power_state). The URLs
 * use the address the machine reached us on (rack :5248 or region :5240). Emitted as JSON, which is
 * YAML; cloud-init reads it with its YAML loader.
 */
import { noMatch } from '../../domain/errors.ts';
import { NodeStatus as S } from '../../domain/machine/status.ts';
import type { ServiceContext } from '../context.ts';
import { actionChoices } from './catalogue.ts';
import { nodeKeyFor } from './node-key.ts';
import { metadataNodeBySystemId } from './node-view.ts';

const cloudConfig = (doc: Record<string, unknown>) => `#cloud-config\n${JSON.stringify(doc, null, 2)}\n`;
const WEEK = 7 * 24 * 3600;

function powerState(mode: 'poweroff' | 'reboot', timeout: number) {
  return { delay: 'now', mode, timeout, condition: 'test ! -e /tmp/block-poweroff' };
}

/** `by-id/<system_id>/?op=get_preseed`: the preseed for the machine's current status. */
export async function nodePreseed(ctx: ServiceContext, systemId: string, origin: string): Promise<string> {
  const node = await metadataNodeBySystemId(ctx.db, systemId);
  if (!node) throw noMatch('Node');
  const key = await nodeKeyFor(ctx.db, node.id);
  const creds = { consumer_key: key.consumer_key, token_key: key.token_key, token_secret: key.token_secret };
  const choices = await actionChoices(ctx.db, node.id);
  const deploying = node.status === S.DEPLOYING;
  const ephemeralDeploy = deploying && choices.data.ephemeral_deploy === true;
  const doc: Record<string, unknown> = {
    manage_etc_hosts: true,
    // The deploy environment reads the installer's user data on the curtin path.
    datasource: { MAAS: { metadata_url: `${origin}/MAAS/metadata/${deploying ? 'curtin/' : ''}`, ...creds } },
    reporting: { maas: { type: 'webhook', endpoint: `${origin}/MAAS/metadata/status/${node.system_id}`, ...creds } },
  };
  const stays = node.status === S.ENTERING_RESCUE_MODE || node.status === S.RESCUE_MODE || node.enable_ssh || ephemeralDeploy;
  if (deploying && !ephemeralDeploy) doc.power_state = powerState('reboot', 1800);
  else if (!stays) doc.power_state = powerState('poweroff', node.status === S.DISK_ERASING ? WEEK : 3600);
  return cloudConfig(doc);
}

/** `enlist-preseed/?op=get_enlist_preseed`: an unknown machine enlists itself; no credentials yet. */
export function enlistPreseed(origin: string): string {
  return cloudConfig({
    manage_etc_hosts: true,
    datasource: { MAAS: { metadata_url: `${origin}/MAAS/metadata/enlist/` } },
    power_state: powerState('poweroff', 1800),
  });
}
