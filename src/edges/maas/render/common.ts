/** JSON shapes of the small objects (maas-api-spec.md §10.4), each with its resource_uri. */
import { API_PREFIX } from '../declare.ts';
import { levelName } from '../../../domain/events.ts';
import type { EventRow } from '../../../store/repos/events.ts';
import type { TagRow } from '../../../store/repos/tags.ts';
import type { UserRow, SshKeyRow } from '../../../store/repos/users.ts';

export const uri = (path: string) => `${API_PREFIX}${path}`;

export const renderZone = (z: { id: number; name: string; description: string }) =>
  ({ name: z.name, description: z.description, id: z.id, resource_uri: uri(`/zones/${encodeURIComponent(z.name)}/`) });

export const renderPool = (p: { id: number; name: string; description: string }) =>
  ({ name: p.name, description: p.description, id: p.id, resource_uri: uri(`/resourcepool/${p.id}/`) });

export const renderDomain = (d: { id: number; name: string; ttl: number | null; authoritative: boolean; is_default: boolean }, recordCount = 0) =>
  ({ authoritative: d.authoritative, ttl: d.ttl, resource_record_count: recordCount, name: d.name, id: d.id, is_default: d.is_default, resource_uri: uri(`/domains/${d.id}/`) });

export const renderUser = (u: UserRow) =>
  ({ is_superuser: u.is_superuser, username: u.username, email: u.email, is_local: u.is_local, resource_uri: uri(`/users/${encodeURIComponent(u.username)}/`) });

export const renderTag = (t: TagRow) =>
  ({ name: t.name, definition: t.definition, comment: t.comment, kernel_opts: t.kernel_opts, resource_uri: uri(`/tags/${encodeURIComponent(t.name)}/`) });

export const renderSshKey = (k: SshKeyRow) =>
  ({ id: k.id, key: k.key, keysource: k.keysource, resource_uri: uri(`/account/prefs/sshkeys/${k.id}/`) });

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');
/** MAAS's event time format: `%a, %d %b. %Y %H:%M:%S` (UTC). */
export const eventTime = (d: Date) =>
  `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]}. ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;

export const renderEvent = (e: EventRow) => ({
  username: e.username, node: e.system_id, hostname: e.hostname, id: e.id, level: levelName(e.level),
  created: eventTime(new Date(e.created)), type: e.type_name, description: e.description, action: e.action,
});

/** MAAS's datetime form in JSON: `2018-12-04T18:11:31.894`. */
export const isoTime = (d: Date | null) => (d ? new Date(d).toISOString().replace('Z', '') : null);
