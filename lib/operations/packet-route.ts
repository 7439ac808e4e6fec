/**
 * `packet_route` (spec §5.2): turn one step's output packet into the next step's input with a
 * named transform. Transforms are pluggable (runMission `transforms`); `identity` and the build
 * cycle's transforms (packet-transforms.ts) are built in.
 * Params: `transform` (name), `input` (the packet); the other params reach the transform.
 */
import { collectSeatOutputs, councilSynthesis, toCouncilContextPack, toReviewPacket } from './packet-transforms.ts';
import { isCouncilMode, MODE_SEATS } from '../council/synthesis.ts';
import { builtinDefinition, defineOperation, type PacketTransform } from './handler.ts';

export const BUILTIN_TRANSFORMS: ReadonlyMap<string, PacketTransform> = new Map([
  ['identity', (input: unknown) => input],
  ['to_council_context_pack', toCouncilContextPack],
  ['collect_seat_outputs', collectSeatOutputs],
  ['council_synthesis', councilSynthesis],
  ['to_review_packet', toReviewPacket],
]);

const COUNCIL_TRANSFORMS: ReadonlySet<string> = new Set(['to_council_context_pack', 'council_synthesis']);

export const packetRoute = defineOperation({
  ...builtinDefinition('packet_route'),
  // A council mode misspelt in --input review_mode would fail only at the first review, after the design's calls.
  preflight: (known) =>
    COUNCIL_TRANSFORMS.has(known.transform as string) && known.mode !== undefined && !isCouncilMode(known.mode)
      ? [`council mode ${JSON.stringify(known.mode)} is not one of ${Object.keys(MODE_SEATS).join(', ')} (pass it as --input review_mode=M2_FULL, for example)`]
      : [],
  execute: (params, context) => {
    const name = params.transform as string;
    const transform = context.transforms.get(name);
    if (!transform) {
      const known = [...context.transforms.keys()].sort().join(', ');
      throw new Error(`unknown transform "${name}" (known: ${known}); register it with runMission({ transforms: { ${name}: ... } })`);
    }
    return transform(params.input, params);
  },
});
