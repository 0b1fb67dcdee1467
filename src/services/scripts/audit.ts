/** Script changes go to the event log at AUDIT level, as MAAS records settings changes. */
import { EventLevel } from '../../domain/events.ts';
import type { Actor, Queryable } from '../context.ts';
import { recordEvent } from '../events.ts';

export const auditScript = (q: Queryable, actor: Actor, description: string) =>
  recordEvent(q, { nodeId: null, hostname: '', username: actor.username, level: EventLevel.AUDIT, typeName: 'Settings', description });
