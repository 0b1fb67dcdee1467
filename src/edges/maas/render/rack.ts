/**
 * Rack controller representation (maas-api-spec.md §10.1 "Rack/region controller fields"): node fields,
 * interfaces with their links, `version`, and `service_set` — the rack's own service report while its
 * link is live; every service off, with the reason, while it is not.
 */
import type { RackListing, RackRecord } from '../../../services/racks/queries.ts';
import { isLive, type ServiceName } from '../../../services/racks/status.ts';
import { renderDomain, renderZone, uri } from './common.ts';
import { nodeIpAddresses, renderInterface } from './interface.ts';

const SERVICES: Array<[ServiceName, string]> = [['dhcp', 'dhcpd'], ['tftp', 'tftp'], ['http', 'http'], ['power', 'power']];
const NODE_TYPE_NAMES: Record<number, string> = { 2: 'Rack controller', 4: 'Region and rack controller' };

function serviceSet(r: RackRecord, now: Date) {
  const s = r.status;
  if (!isLive(s, now)) {
    const why = s?.last_seen
      ? `The rack is not connected to a region (last seen ${new Date(s.last_seen).toISOString()}).`
      : 'The rack has never connected to a region.';
    return [{ name: 'rackd', status: 'dead', status_info: why }, ...SERVICES.map(([, name]) => ({ name, status: 'off', status_info: why }))];
  }
  const sync = s!.image_sync;
  return [
    sync?.state === 'failed'
      ? { name: 'rackd', status: 'degraded', status_info: `Boot image sync failed: ${sync.reason ?? 'no reason given'}` }
      : { name: 'rackd', status: 'running', status_info: '' },
    ...SERVICES.map(([key, name]) => {
      const st = s!.services[key];
      return st ? { name, status: st.status, status_info: st.reason ?? '' } : { name, status: 'unknown', status_info: 'Not reported by the rack yet.' };
    }),
  ];
}

export function renderRack(r: RackRecord, l: Pick<RackListing, 'net'>, now: Date) {
  const n = r.node;
  const sid = n.system_id;
  return {
    system_id: sid,
    hostname: n.hostname,
    description: n.description,
    hardware_uuid: n.hardware_uuid,
    domain: renderDomain({ id: n.domain_id, name: n.domain, ttl: n.domain_ttl, authoritative: n.domain_authoritative, is_default: n.domain_is_default }),
    fqdn: `${n.hostname}.${n.domain}`,
    architecture: n.architecture ?? '',
    cpu_count: n.cpu_count,
    cpu_speed: n.cpu_speed,
    memory: n.memory,
    swap_size: n.swap_size,
    osystem: n.osystem,
    distro_series: n.distro_series,
    power_type: n.power_type,
    power_state: n.power_state,
    ip_addresses: nodeIpAddresses(r.interfaces, l.net),
    interface_set: r.interfaces.map((i) => renderInterface(sid, i, r.interfaces, l.net)),
    zone: renderZone({ id: n.zone_id, name: n.zone, description: n.zone_description }),
    status_action: n.status_action ?? '',
    node_type: n.node_type,
    node_type_name: NODE_TYPE_NAMES[n.node_type] ?? 'Rack controller',
    service_set: serviceSet(r, now),
    version: r.status?.version ?? '',
    current_commissioning_result_id: null,
    current_testing_result_id: null,
    current_installation_result_id: null,
    commissioning_status: -1, commissioning_status_name: 'Unknown',
    testing_status: -1, testing_status_name: 'Unknown',
    hardware_info: n.hardware_info,
    tag_names: n.tag_names,
    resource_uri: uri(`/rackcontrollers/${sid}/`),
  };
}

/**
 * `op=list_boot_images`: what the rack reported holding, whether it is connected, and its image sync
 * status — `synced` (its last sync completed against the region's current images), `syncing`,
 * `out-of-sync` (failed, behind the region's images, or never reported while the region syncs
 * images), `unknown` while it is not connected. `region` is the region's current manifest, when the
 * region syncs images (without it a live rack counts as synced, as before image sync). `sync` adds
 * the rack's progress report.
 */
export function renderRackImages(r: RackRecord, now: Date, region?: { digest: string }) {
  const live = isLive(r.status, now);
  const sync = r.status?.image_sync ?? undefined;
  let status = 'unknown';
  if (live && !sync) status = region ? 'out-of-sync' : 'synced';
  else if (live && sync) {
    status = sync.state === 'syncing' ? 'syncing'
      : sync.state === 'failed' || (region && sync.digest !== region.digest) ? 'out-of-sync' : 'synced';
  }
  return { images: r.status?.images ?? [], connected: live, status, ...(sync ? { sync } : {}) };
}
