// Every plexctl command, in the order help lists them.
import type { Command } from '../command.ts';
import { ASSIGNMENT_COMMANDS } from './assignments.ts';
import { AUTH_COMMANDS } from './auth.ts';
import { CATALOG_COMMANDS } from './catalog.ts';
import { PROJECT_COMMANDS } from './projects.ts';
import { RESOURCE_COMMANDS } from './resources.ts';
import { WAIT_COMMANDS } from './wait.ts';

export const COMMANDS: readonly Command[] = [
  ...AUTH_COMMANDS,
  ...CATALOG_COMMANDS,
  ...PROJECT_COMMANDS,
  ...ASSIGNMENT_COMMANDS,
  ...RESOURCE_COMMANDS,
  ...WAIT_COMMANDS,
];
