/**
 * Self-modification protection (spec §2.4, §5.5): paths no operation may write, whatever its
 * envelope or its mission says. The built-in list is every governance surface of spec §2.3 and
 * §5.5, plus what the engine itself depends on: `.git/`, the kill switch, the run lock, the
 * journals, evidence and call logs, the state store, and agent constitutions. Hosts may add to
 * it (`protectedPaths`), never take from it.
 *
 * A folder is protected itself as well as everything below it; matching is case-insensitive.
 */
import { compilePattern, matchesSelfOrParent, type CompiledPattern } from '../core/path-rules.ts';

export const BUILTIN_PROTECTED_PATHS: readonly string[] = Object.freeze([
  // Spec §2.3 governance surfaces
  'config/agent_roles',
  'config/models.yaml',
  'config/governance_baseline.yaml',
  'config/envelope_policy.yaml',
  'scripts/opencode_gate_policy.py',
  'runtime/orchestration/transforms',
  'runtime/governance/self_mod_protection.py',
  'docs/03_runtime/LifeOS_Autonomous_Build_Loop_Architecture_*.md',
  'docs/00_foundations',
  'docs/01_governance',
  // Agent constitutions
  'GEMINI.md',
  'CLAUDE.md',
  'AGENTS.md',
  // What the engine depends on
  '.git',
  'STOP_AUTONOMY',
  '.lifeos_run_lock*',
  '.lifeos',
  'logs/mission_journals',
  'logs/failed_missions',
  'logs/kill_switch_activations',
  'logs/agent_calls',
]);

export class ProtectedPaths {
  private readonly compiled: CompiledPattern[];

  constructor(extra: readonly string[] = []) {
    this.compiled = [...BUILTIN_PROTECTED_PATHS, ...extra].map((pattern) => compilePattern(pattern, true));
  }

  /** The protecting pattern of a normalised repository-relative path, or undefined. */
  match(path: string): string | undefined {
    if (path === '') return '(the repository root)';
    return matchesSelfOrParent(this.compiled, path);
  }
}
