/**
 * Part 2, text conditioning: the prompt's embedding, the unconditional branch's (the negative prompt; it
 * drops only the text), and the empty prompt's for a ControlNet (which always sees the empty prompt).
 * Each distinct text runs the text encoder once. After this part the text encoder is not needed again.
 */
import type { LoadedPack } from '../../models/pack';
import { makeTensor, tensorToFloat32 } from '../../models/tensor';
import type { GenerateRequest } from '../types';
import type { ModelRunner } from './runner';

export interface TextConditioning {
  /** Classifier-free guidance runs (guidance != 1): the UNet runs with both `uncond` and `cond`. */
  guided: boolean;
  /** The prompt's hidden states, [maxLength, width] flattened. */
  cond: Float32Array;
  /** The unconditional branch's (the negative prompt; `cond` itself without guidance). */
  uncond: Float32Array;
  /** The empty prompt's, for the ControlNet; null without one. */
  empty: Float32Array | null;
  /** [sequence length, width] of one embedding. */
  seqDims: [number, number];
}

export async function textConditioning(
  pack: LoadedPack,
  runner: ModelRunner,
  request: Pick<GenerateRequest, 'prompt' | 'negativePrompt' | 'guidance'>,
): Promise<TextConditioning> {
  const cache = new Map<string, Float32Array>();
  const embed = async (text: string): Promise<Float32Array> => {
    const hit = cache.get(text);
    if (hit) return hit;
    const ids = pack.tokenizer.encode(text);
    const te = pack.io.textEncoder;
    const out = await runner.run('text', te, { input_ids: makeTensor(te.idsType, ids, [1, ids.length]) });
    const e = tensorToFloat32(out[te.output]).slice();
    cache.set(text, e);
    return e;
  };
  const guided = request.guidance !== 1;
  const cond = await embed(request.prompt);
  const uncond = guided ? await embed(request.negativePrompt ?? '') : cond;
  const empty = pack.manifest.conditioning === 'controlnet' ? await embed('') : null;
  const n = pack.tokenizer.maxLength;
  return { guided, cond, uncond, empty, seqDims: [n, cond.length / n] };
}
