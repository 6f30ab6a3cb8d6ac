/// <reference lib="webworker" />
// The decode Worker: reads, checks and decodes image / trimap / mask files off the page's thread (imageDecode.ts).
import { handleDecodeRequest, type DecodeRequest } from './imageDecode';

declare const self: DedicatedWorkerGlobalScope;

self.onmessage = async (e: MessageEvent<DecodeRequest>) => {
  const { response, transfer } = await handleDecodeRequest(e.data);
  self.postMessage(response, transfer);
};
