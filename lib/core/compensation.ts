/**
 * The closed set of compensation commands a mission may name, and the Appendix A.4
 * CompensationType each one maps to. Compensation never runs free-form shell: the runner turns
 * a type into fixed undo actions, so a string outside this table is a validation error.
 */

/** Appendix A.4 CompensationType values. */
export const COMPENSATION_TYPES = [
  'none',
  'git_checkout',
  'git_reset_head',
  'git_reset_soft',
  'git_reset_hard',
  'git_clean',
  'fs_delete',
  'fs_restore',
  'custom',
] as const;

export type CompensationType = (typeof COMPENSATION_TYPES)[number];

/** Command text as written in YAML -> CompensationType. Keep in step with schemas/mission.schema.json. */
export const COMPENSATION_COMMANDS = {
  none: 'none',
  'git checkout -- .': 'git_checkout',
  'git reset HEAD': 'git_reset_head',
  'git reset --soft HEAD~1': 'git_reset_soft',
  'git reset --hard HEAD': 'git_reset_hard',
  'git clean -fd': 'git_clean',
  fs_delete: 'fs_delete',
  fs_restore: 'fs_restore',
  custom: 'custom',
} as const satisfies Record<string, CompensationType>;

export type CompensationCommand = keyof typeof COMPENSATION_COMMANDS;

const COMMAND_FOR_TYPE = Object.fromEntries(
  Object.entries(COMPENSATION_COMMANDS).map(([command, type]) => [type, command]),
) as Record<CompensationType, CompensationCommand>;

/** The command text for each type (each type has exactly one command in the table). */
export function commandForType(type: CompensationType): CompensationCommand {
  return COMMAND_FOR_TYPE[type];
}
