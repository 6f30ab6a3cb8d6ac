import { describe, expect, it } from 'vitest';
import { AbortedError, DefectStudioError, ERROR_CODES, InputError, abortReason, errorCode, runtimeError } from './errors';
import { PackError } from './models/errors';
import { MissingFileError } from './models/pack-source';
import { SettingsError } from './settings';
import { ImageDecodeError } from './imageLimits';
import { ShardError } from './batch/shard';
import { ProtobufError } from './models/onnx/protobuf';
import { OnnxFormatError } from './models/onnx/model';
import { UnsupportedDecoderError } from './models/onnx/decoder-head';
import { InputError as PipelineInputError, abortError } from './diffusion/pipeline';

describe('one error vocabulary', () => {
  it('every error class of the core is a DefectStudioError with its stable code', () => {
    const cases: [Error, string][] = [
      [new InputError('x'), 'input'],
      [new ImageDecodeError('x'), 'input'],
      [new ShardError('x'), 'input'],
      [new SettingsError([]), 'settings'],
      [new PackError('x', { file: 'a' }), 'pack'],
      [new MissingFileError('unet/model.onnx'), 'pack'],
      [new ProtobufError('x'), 'pack'],
      [new OnnxFormatError('x'), 'pack'],
      [new UnsupportedDecoderError('x'), 'pack'],
      [new AbortedError(), 'aborted'],
    ];
    for (const [e, code] of cases) {
      expect(e).toBeInstanceOf(DefectStudioError);
      expect(errorCode(e)).toBe(code);
      expect(ERROR_CODES).toContain(code);
    }
    expect(PipelineInputError).toBe(InputError); // the pipeline re-exports the one class
  });

  it('aborts keep the platform name AbortError and map to "aborted"', () => {
    expect(abortError().name).toBe('AbortError');
    expect(errorCode(abortError())).toBe('aborted');
    const c = new AbortController();
    c.abort();
    expect(errorCode(c.signal.reason)).toBe('aborted'); // Node's DOMException
    expect(abortReason(c.signal)).toBe(c.signal.reason);
    const lost = new DefectStudioError('device-lost', 'GPU device lost: test');
    const d = new AbortController();
    d.abort(lost);
    expect(abortReason(d.signal)).toBe(lost);
    expect(errorCode(abortReason({ reason: 'not an error' }))).toBe('aborted');
  });

  it('unknown errors are internal; RangeError (failed allocation) is out-of-memory', () => {
    expect(errorCode(new Error('x'))).toBe('internal');
    expect(errorCode('a string')).toBe('internal');
    expect(errorCode(new RangeError('Array buffer allocation failed'))).toBe('out-of-memory');
  });

  it('runtimeError turns a runtime failure into a code once, at the boundary', () => {
    const oom = runtimeError(new Error('failed to allocate a buffer of size 123456789'), 'model run');
    expect(oom.code).toBe('out-of-memory');
    expect(oom.message).toBe('model run: failed to allocate a buffer of size 123456789');
    expect(runtimeError(new Error('Aborted(OOM)'), 'x').code).toBe('out-of-memory');
    expect(runtimeError(new Error('GPU device was lost'), 'x').code).toBe('device-lost');
    expect(runtimeError(new Error('input "sample" has the wrong shape'), 'x').code).toBe('runtime');
    const pack = new PackError('bad');
    expect(runtimeError(pack, 'x')).toBe(pack); // a coded error passes through
  });
});
