/**
 * The user data every ephemeral environment runs (enlistment, commissioning, testing, erasing, rescue,
 * and the deploy environment reached through the curtin path): hand over to Plinth's agent, which finds
 * the metadata URL and this machine's credentials in the cloud-init datasource config the preseed wrote.
 * Kept in one place so the hand-over can change without touching the service.
 */
export function agentUserData(): Buffer {
  return Buffer.from('#!/bin/sh\n# Plinth: run the agent of the ephemeral environment.\nexec /usr/bin/plinth-agent run\n');
}
