// Every plexctl command, in the order help lists them.
import type { Command } from '../command.ts';
import { ASSIGNMENT_COMMANDS } from './assignments.ts';
import { AUDIT_COMMANDS } from './audit.ts';
import { AUTH_COMMANDS } from './auth.ts';
import { CATALOG_COMMANDS } from './catalog.ts';
import { CURATION_COMMANDS } from './curation.ts';
import { EVENT_COMMANDS } from './events.ts';
import { PROJECT_COMMANDS } from './projects.ts';
import { RESOURCE_COMMANDS } from './resources.ts';
import { WAIT_COMMANDS } from './wait.ts';
import { WEBHOOK_COMMANDS } from './webhooks.ts';

/** Commands of one group (e.g. "cloud credential") side by side, groups in first-seen order. */
function grouped(commands: readonly Command[]): Command[] {
  const groups = new Map<string, Command[]>();
  for (const command of commands) {
    const key = command.path.slice(0, -1).join(' ');
    groups.set(key, [...(groups.get(key) ?? []), command]);
  }
  return [...groups.values()].flat();
}

export const COMMANDS: readonly Command[] = [
  ...AUTH_COMMANDS,
  // The catalog's reads and the operator's writes, each group together: list, get, create, ….
  ...grouped([...CATALOG_COMMANDS, ...CURATION_COMMANDS]),
  ...PROJECT_COMMANDS,
  ...ASSIGNMENT_COMMANDS,
  ...AUDIT_COMMANDS,
  ...EVENT_COMMANDS,
  ...RESOURCE_COMMANDS,
  ...WAIT_COMMANDS,
  ...WEBHOOK_COMMANDS,
];
