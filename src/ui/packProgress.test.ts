import { describe, expect, it } from 'vitest';
import { packProgressLine } from './packProgress';

describe('packProgressLine', () => {
  it('names the phase and the file, with its bytes and the whole pack', () => {
    const MB = 1e6;
    expect(packProgressLine({ phase: 'download', file: 'unet/model.onnx', fileLoadedBytes: 3.2 * MB, fileTotalBytes: 8 * MB, loadedBytes: 5.1 * MB, totalBytes: 11 * MB })).toBe(
      'Downloading unet/model.onnx 3.20 MB / 8.00 MB · total 5.10 MB / 11.0 MB (46%)',
    );
    expect(packProgressLine({ phase: 'check', file: 'a', fileLoadedBytes: 0, fileTotalBytes: 0, loadedBytes: 0, totalBytes: 0 })).toBe(
      'Checking stored a 0.00 MB / 0.00 MB · total 0.00 MB / 0.00 MB (0%)',
    );
    expect(packProgressLine({ phase: 'download', file: 'unet/model.onnx_data', fileLoadedBytes: 1.5e9, fileTotalBytes: 3.44e9, loadedBytes: 1.5e9, totalBytes: 4.27e9 })).toBe(
      'Downloading unet/model.onnx_data 1.50 GB / 3.44 GB · total 1.50 GB / 4.27 GB (35%)',
    );
    expect(packProgressLine({ phase: 'read', file: 'b', fileLoadedBytes: 1, fileTotalBytes: 1, loadedBytes: 1, totalBytes: 1 })).toMatch(/^Reading b .*\(100%\)$/);
  });
});
