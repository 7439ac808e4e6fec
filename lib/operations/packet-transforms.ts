/**
 * The built-in `packet_route` transforms of the build cycle (spec §5.3). They are code, and
 * governance surfaces in the spec's sense (its transforms/*.py): a change to them changes what
 * the council sees, so they ship with the library (whose version is in every run id) and take
 * no configuration from the repository.
 *
 *   to_council_context_pack  input, review_type (default: from the input's type), mode -> what every seat reviews
 *   collect_seat_outputs     outputs (fan-outs' and steps' outputs) -> { seat_outputs }: the seats
 *                            that answered, in one list, the ones the mode skipped left out
 *   council_synthesis        seat_outputs, chair, cochair, mode, prior_decision -> the council's
 *                            decision, the chair's proposal checked against the §5.5.1 rules (council/)
 *   to_review_packet         build_packet, evidence (git diff_stat), test_result -> REVIEW_PACKET
 */
import { flattenOnce, isChaired, isCouncilMode, MODE_SEATS, synthesiseDecision } from '../council/synthesis.ts';
import type { PacketTransform } from './handler.ts';

export const toCouncilContextPack: PacketTransform = (input, params) => {
  const mode = params.mode ?? 'M1_STANDARD';
  if (!isCouncilMode(mode)) throw new TypeError(`mode must be one of ${Object.keys(MODE_SEATS).join(', ')}, got ${JSON.stringify(mode)}`);
  // The spec's own review mission (§5.3) passes no review_type: the packet under review says it.
  const subjectType = (input as { type?: unknown } | null)?.type;
  const reviewType = params.review_type ?? (subjectType === 'BUILD_PACKET' ? 'build_review' : subjectType === 'REVIEW_PACKET' ? 'output_review' : undefined);
  if (reviewType !== 'build_review' && reviewType !== 'output_review') throw new TypeError(`review_type must be build_review or output_review (or left out for a BUILD_PACKET or REVIEW_PACKET under review), got ${JSON.stringify(reviewType)}`);
  return {
    type: 'COUNCIL_CONTEXT_PACK',
    review_type: reviewType,
    mode,
    required_seats: MODE_SEATS[mode],
    chaired: isChaired(mode),
    question: reviewType === 'build_review' ? 'Should this design be built as written?' : 'Does this change do what the design said, safely, with passing tests?',
    subject: input,
  };
};

export const collectSeatOutputs: PacketTransform = (_input, params) => ({ seat_outputs: flattenOnce(params.outputs) });

export const councilSynthesis: PacketTransform = (_input, params) =>
  synthesiseDecision({ mode: params.mode, seat_outputs: params.seat_outputs, chair: params.chair, cochair: params.cochair, prior_decision: params.prior_decision });

export const toReviewPacket: PacketTransform = (_input, params) => {
  const build = (params.build_packet ?? {}) as { mission_name?: unknown; summary?: unknown; payload?: { goal?: unknown } };
  const evidence = (params.evidence ?? {}) as { paths?: unknown; stat?: unknown; blobs?: unknown };
  const tests = (params.test_result ?? null) as { passed?: unknown; command?: unknown; output_tail?: unknown } | null;
  const artifacts = Array.isArray(evidence.paths) ? evidence.paths.filter((p): p is string => typeof p === 'string') : [];
  if (artifacts.length === 0) throw new Error('to_review_packet: the build changed no files; there is nothing to review or commit');
  return {
    type: 'REVIEW_PACKET',
    mission_name: typeof build.mission_name === 'string' && build.mission_name ? build.mission_name : 'build',
    summary: typeof build.summary === 'string' && build.summary ? build.summary : String(build.payload?.goal ?? 'build output'),
    payload: {
      goal: build.payload?.goal ?? null,
      artifacts_produced: artifacts,
      // The exact bytes reviewed: the steward refuses to commit anything else.
      ...(evidence.blobs && typeof evidence.blobs === 'object' ? { artifact_hashes: evidence.blobs } : {}),
      diff_stat: typeof evidence.stat === 'string' ? evidence.stat : '',
      // Passing output is left out: it holds timings, which would make every review a new call.
      ...(tests && typeof tests.passed === 'boolean'
        ? { test_result: { passed: tests.passed, command: String(tests.command ?? ''), ...(tests.passed ? {} : { output_tail: String(tests.output_tail ?? '') }) } }
        : {}),
    },
  };
};
