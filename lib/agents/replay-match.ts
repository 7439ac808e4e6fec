/**
 * Which fixture answers a call in replay mode, and how exactly (docs/agents.md "Fixture
 * matching"):
 *
 *   hit            the fixture of the call's deterministic id (spec §5.1.3), recorded from a
 *                  model of the role's chain (the primary or a fallback);
 *   code_drift     no fixture of that id, but one of the same step, role, prompt, input packet
 *                  and run key (the run id's parts but the commit and the model mapping, whose
 *                  effects, the model, the temperature and the token limit, are compared on
 *                  their own): the same call, recorded at
 *                  another commit. Committing fixtures, or the test that replays them, is such a
 *                  commit: it never turns them into misses;
 *   version_drift  either match, recorded from another version of a model of the chain (spec
 *                  §5.1.1): the mapping moved to a newer version of the same model.
 *
 * A later call's packet often holds an earlier call's id, or the run id or the commit (a seat's
 * verdict quoted to the chair): at another commit those differ too. So once a call matched as
 * code drift, its id, the run id and the commit are read as the recorded ones in the packets of
 * the calls after it: the same call is the same packet with those names translated.
 *
 * Strict replay takes hits only. Anything else is a ReplayMissError naming the step and the
 * nearest recorded call.
 */
import { hashCanonical, type Sha256 } from '../core/canonical.ts';
import { mapStrings } from '../core/redact.ts';
import { type Fixture, fixtureFile, nearestFixture, readAllFixtures, readFixture, ReplayMissError, sameRequest, type RequestSettings } from './fixtures.ts';
import { modelFamily } from './model-names.ts';

export type ReplayStatus = 'hit' | 'code_drift' | 'version_drift';

export interface CallKey {
  callId: Sha256;
  node: string;
  role: string;
  promptHash: Sha256;
  /** The input packet as sent, and redacted (for what a miss says). */
  packet: unknown;
  inputPacket: unknown;
  runId: Sha256;
  /** The run id's parts but the commit; absent in runs journaled before it existed. */
  runKey: Sha256 | undefined;
  codeVersion: string | null;
  /** The models the role may be answered by now. */
  chain: readonly string[];
  request: RequestSettings;
}

export interface ReplayMatch {
  fixture: Fixture;
  file: string;
  status: ReplayStatus;
  /** The commit the fixture was recorded at, when it says. */
  recordedCodeVersion: string | null;
}

/** Reads the fixture folder once, on the first call that needs more than its exact file. */
export function replayMatcher(cacheDir: string): (key: CallKey, strict: boolean) => ReplayMatch {
  let all: ReturnType<typeof readAllFixtures> | undefined;
  const fixtures = (): ReturnType<typeof readAllFixtures> => (all ??= readAllFixtures(cacheDir));
  /** This run's names (call ids, run id, commit) -> the recording's, learnt from each drifted match. */
  const recordedNames = new Map<string, string>();
  return (key, strict) => {
    const exact = readFixture(cacheDir, key.callId);
    const found = exact ? { fixture: exact, file: fixtureFile(cacheDir, key.callId), drifted: false } : sameCall(fixtures(), key, hashCanonical(translate(key.packet, recordedNames)));
    const miss = (refused?: string): ReplayMissError =>
      new ReplayMissError(key.callId, key.node, nearestFixture(fixtures(), { role: key.role, model: key.chain[0] as string, prompt_hash: key.promptHash, input_packet: translate(key.inputPacket, recordedNames), request: key.request }), refused);
    if (!found) throw miss();
    if (found.drifted) learnNames(recordedNames, key, found.fixture);
    const { fixture, drifted } = found;
    const recorded = fixture.code_version ?? null;
    const model = modelStatus(fixture, key.chain);
    if (model === 'other') throw miss(`the fixture for this call was recorded from ${fixture.model_requested}, which config/models.yaml no longer maps to role ${key.role} (${key.chain.join(', ')})`);
    const status: ReplayStatus = model === 'version_drift' ? 'version_drift' : drifted ? 'code_drift' : 'hit';
    if (strict && status !== 'hit') {
      throw miss(
        status === 'code_drift'
          ? `${found.file} is the same call recorded at commit ${short(recorded)}, and this replay runs at ${short(key.codeVersion)}: --strict-replay takes exact matches only`
          : `the fixture was recorded from ${fixture.model_version}, another version of the model mapped now: --strict-replay takes exact matches only`,
      );
    }
    return { fixture, file: found.file, status, recordedCodeVersion: recorded };
  };
}

/** The fixture of the same call at another commit, if one was recorded. */
function sameCall(fixtures: ReturnType<typeof readAllFixtures>, key: CallKey, packetHash: Sha256): { fixture: Fixture; file: string; drifted: true } | undefined {
  if (!key.runKey) return undefined;
  const match = fixtures.find(
    ({ fixture }) =>
      fixture.run_key === key.runKey &&
      fixture.node === key.node &&
      fixture.role === key.role &&
      fixture.prompt_hash === key.promptHash &&
      fixture.input_packet_hash === packetHash &&
      (fixture.request === undefined || sameRequest(fixture.request, key.request)),
  );
  return match ? { ...match, drifted: true } : undefined;
}

function learnNames(names: Map<string, string>, key: CallKey, fixture: Fixture): void {
  names.set(key.callId, fixture.call_id_deterministic);
  if (fixture.run_id) names.set(key.runId, fixture.run_id);
  if (fixture.code_version && key.codeVersion) names.set(key.codeVersion, fixture.code_version);
}

/** The value with every occurrence of a known name, inside any string, replaced by the recorded one. */
function translate(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (names.size === 0) return value;
  return mapStrings(value, (text) => {
    let out = text;
    for (const [now, recorded] of names) if (out.includes(now)) out = out.split(now).join(recorded);
    return out;
  });
}

/** A model of the chain; another version of one; or a model the role is no longer mapped to. */
function modelStatus(fixture: Fixture, chain: readonly string[]): 'in_chain' | 'version_drift' | 'other' {
  if (chain.includes(fixture.model_requested)) return 'in_chain';
  return chain.some((model) => modelFamily(model) === modelFamily(fixture.model_requested)) ? 'version_drift' : 'other';
}

function short(commit: string | null): string {
  return commit ? commit.slice(0, 12) : 'an unrecorded commit';
}
